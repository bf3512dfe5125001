import { describeError, type WireMessage } from '../schemas/index.js';
import type { ChannelConsumer } from './app.js';
import { compose } from './middleware.js';
import { groupFunctions, Lifetime, type Runtime } from './runtime.js';
import type { ChannelContext } from './types.js';

/**
 * Runs a named channel's consumer for one message, after the consumer's own schema check.
 * Nobody waits for an answer: a failure is a log line naming the consumer (the real-time
 * path is at most once; durable channels retry).
 */
export async function runChannel(runtime: Runtime, channel: ChannelConsumer, raw: WireMessage): Promise<void> {
  const consumer = `channel ${channel.name}`;
  const lifetime = new Lifetime(runtime.timeoutMs, consumer);
  try {
    const message = channel.schema ? (channel.schema.parse(raw) as WireMessage) : raw;
    const ctx: ChannelContext = {
      kind: 'channel',
      consumer,
      channel: channel.name,
      get signal() {
        return lifetime.signal;
      },
      traceparent: undefined,
      log: runtime.logger.child({ consumer }),
      locals: {},
      send: (target, next, options) => runtime.send(target, next, options),
      ...groupFunctions(runtime),
    };
    await lifetime.race(
      compose(runtime.app.middleware, ctx, async () => {
        await channel.handler(message, ctx);
      }),
    );
  } catch (error) {
    runtime.logger.error({ err: error, consumer, type: raw.type }, `${consumer} failed on "${raw.type}": ${describeError(error)}`);
  } finally {
    lifetime.done();
  }
}
