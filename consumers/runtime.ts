import type { Logger } from 'pino';
import type { ChannelLayer } from '../channel-layer/index.js';
import type { WireMessage } from '../schemas/index.js';
import type { App } from './app.js';
import type { SendOptions } from './durable/options.js';

/** What every consumer runner of one worker shares. */
export interface Runtime {
  app: App;
  layer: ChannelLayer;
  logger: Logger;
  /** How long one consumer may run before it is failed (500 / close 1011). */
  timeoutMs: number;
  /** `ctx.send`: a durable channel's queue, or the layer. */
  send(channel: string, message: WireMessage, options?: SendOptions): Promise<void>;
}

/** A consumer ran out of time. */
export class ConsumerTimeout extends Error {
  override readonly name = 'ConsumerTimeout';
}

/** Why a finished consumer's signal aborts. A prepared reason: `abort()` alone builds a DOMException, stack and all. */
export const CONSUMER_DONE = new Error('the consumer finished');

/**
 * An abort controller that fires after `ms` with ConsumerTimeout; `done()` clears the timer
 * and aborts, which ends whatever the consumer left listening.
 */
export function consumerDeadline(ms: number, consumer: string): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ConsumerTimeout(`${consumer} did not finish within ${ms} ms`)), ms);
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      controller.abort(CONSUMER_DONE);
    },
  };
}

/** Runs `work`, rejecting with the signal's reason if it aborts first. */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `ctx.broadcast`: a `websocket.send` to a group, which the servers apply to members directly. */
export function broadcast(runtime: Runtime, group: string, data: string | Uint8Array): Promise<void> {
  return runtime.layer.groupSend(group, typeof data === 'string' ? { type: 'websocket.send', text: data } : { type: 'websocket.send', bytes: data });
}
