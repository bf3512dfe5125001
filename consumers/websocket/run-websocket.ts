import type { Logger } from 'pino';
import { describeError, checkWebsocketReply, connectionEvent, parseServerToWorker, parseWorkerToServer, traceId, type Headers, type WebsocketConnect, type WireMessage } from '../../schemas/index.js';
import type { SendOptions } from '../durable/options.js';
import { HeaderList } from '../http/headers.js';
import { compose } from '../middleware.js';
import { groupFunctions, Lifetime, type Runtime } from '../runtime.js';
import type { WebSocketConsumer, WebSocketContext, WebSocketMessage } from '../types.js';

/**
 * The connection's scope, kept by the runtime in the state the server carries (under a key
 * consumers do not see), so any worker can route and describe every later event.
 */
interface Scope {
  path: string;
  query: string;
  headers: Headers;
  client: [string, number] | null;
  subprotocols: string[];
  extensions: string[];
  traceparent?: string | undefined;
}

const SCOPE_KEY = '$scope';
/** The groups the consumer put the connection in, kept beside the scope: `ctx.groups`. */
const GROUPS_KEY = '$groups';

/**
 * Runs one WebSocket event (connect, receive, disconnect, or a custom group message) and
 * always answers `websocket.done` with the new state, so the server sends the next event.
 * A failing consumer closes its connection with 1011 (or, during connect, denies it with 500).
 */
export async function runWebSocketEvent(runtime: Runtime, raw: WireMessage): Promise<void> {
  const reply = raw.reply_channel;
  if (typeof reply !== 'string') throw new TypeError(`a "${raw.type}" event without a reply_channel`);
  const isConnect = raw.type === 'websocket.connect';
  const preAccepted = isConnect && raw.accepted === true; // by the server, before any worker
  const carried = (raw.state ?? {}) as Record<string, unknown>;
  const { [SCOPE_KEY]: savedScope, [GROUPS_KEY]: savedGroups, ...userState } = carried;
  let scope = savedScope as Scope | undefined;
  const groups = new Set<string>((savedGroups as string[] | undefined) ?? []);
  const send = (message: WireMessage): Promise<void> => runtime.layer.send(reply, message);
  let consumerName = 'websocket';
  let accepted = !isConnect || preAccepted;
  let answered = accepted;
  let state: Record<string, unknown> = userState;
  /** What the consumer sent its client, in order; checked when the event is done. */
  const queued: Promise<void>[] = [];
  let lifetime: Lifetime | undefined;
  try {
    const event = isConnect || raw.type.startsWith('websocket.') ? parseServerToWorker(raw) : connectionEvent.parse(raw);
    if (event.type === 'websocket.connect') {
      const connect = event as WebsocketConnect;
      scope = {
        path: connect.path,
        query: Buffer.from(connect.query_string).toString('latin1'),
        headers: connect.headers,
        client: connect.client,
        subprotocols: connect.subprotocols,
        extensions: connect.extensions,
        traceparent: connect.traceparent,
      };
    }
    if (scope === undefined) throw new TypeError(`"${raw.type}" for a connection with no scope: was it accepted by this app?`);
    const found = runtime.app.matchWebSocket(scope.path);
    if (found === undefined) {
      if (isConnect) await send({ type: 'websocket.close', code: 1000, status: 404 });
      answered = true;
      return;
    }
    consumerName = found.route.name;
    const consumer = found.route.consumer;
    lifetime = new Lifetime(runtime.timeoutMs, consumerName);
    const ctx = websocketContext(runtime, reply, scope, found.params, consumerName, lifetime, state, queued, groups, {
      phase: () => (accepted ? 'open' : 'connecting'),
      accept: () => {
        accepted = answered = true;
      },
      deny: () => {
        answered = true;
      },
    });
    await lifetime.race(compose(runtime.app.middleware, ctx, () => dispatch(consumer, ctx, event as WireMessage, runtime)));
    if (isConnect && consumer.connect === undefined && !answered) await ctx.accept();
    state = ctx.state;
  } catch (error) {
    runtime.logger.error({ err: error, consumer: consumerName, event: raw.type, path: scope?.path }, `WebSocket consumer ${consumerName} failed on "${raw.type}": ${describeError(error)}`);
    const close = isConnect && !accepted ? { type: 'websocket.close', code: 1011, status: 500 } : { type: 'websocket.close', code: 1011, reason: 'internal error' };
    await send(close).catch(() => {});
  } finally {
    lifetime?.done();
    const next = scope === undefined ? state : groups.size === 0 ? { ...state, [SCOPE_KEY]: scope } : { ...state, [SCOPE_KEY]: scope, [GROUPS_KEY]: [...groups] };
    // The done leaves in the same turn as the consumer's last frames: one batch on the layer.
    const done = send({ type: 'websocket.done', state: next });
    const failed = (await Promise.allSettled([...queued, done])).find((outcome) => outcome.status === 'rejected');
    if (failed) {
      runtime.logger.warn({ err: (failed as PromiseRejectedResult).reason, consumer: consumerName }, `could not deliver what ${consumerName} sent for "${raw.type}"`);
    }
  }
}

async function dispatch(consumer: WebSocketConsumer, ctx: WebSocketContext, event: WireMessage, runtime: Runtime): Promise<void> {
  switch (event.type) {
    case 'websocket.connect': {
      // Joined before `connect` runs, so that it may already speak to the room (Channels' order).
      const joins = typeof consumer.groups === 'function' ? consumer.groups(ctx) : (consumer.groups ?? []);
      for (const group of joins) await ctx.groupAdd(group);
      await consumer.connect?.(ctx);
      return;
    }
    case 'websocket.receive': {
      const message = { text: event.text as string | undefined, bytes: event.bytes as Uint8Array | undefined };
      if (consumer.receiveJson !== undefined) await receiveJson(consumer, ctx, message);
      else await consumer.receive?.(ctx, message);
      return;
    }
    case 'websocket.disconnect':
      await consumer.disconnect?.(ctx, { code: event.code as number, reason: (event.reason as string) ?? '' });
      return;
    default: {
      const handler = consumer.events?.[event.type];
      if (handler === undefined) {
        runtime.logger.warn({ consumer: ctx.consumer, event: event.type }, `${ctx.consumer} has no handler for "${event.type}" events`);
        return;
      }
      const { reply_channel: _, state: __, ...payload } = event;
      await handler(ctx, payload as WireMessage);
    }
  }
}

/** `receiveJson`: the frame's JSON; a frame that is not JSON goes to `invalidJson`, or closes 1007. */
async function receiveJson(consumer: WebSocketConsumer, ctx: WebSocketContext, message: WebSocketMessage): Promise<void> {
  let data: unknown;
  try {
    if (message.text === undefined) throw new SyntaxError('a binary frame, where JSON text was expected');
    data = JSON.parse(message.text);
  } catch (error) {
    if (consumer.invalidJson !== undefined) await consumer.invalidJson(ctx, message, error as Error);
    else await ctx.close(1007, 'invalid JSON');
    return;
  }
  await consumer.receiveJson!(ctx, data);
}

function websocketContext(
  runtime: Runtime,
  reply: string,
  scope: Scope,
  params: Record<string, string>,
  consumer: string,
  lifetime: Lifetime,
  state: Record<string, unknown>,
  queued: Promise<void>[],
  groups: Set<string>,
  note: { phase(): 'connecting' | 'open'; accept(): void; deny(): void },
): WebSocketContext {
  const { layer } = runtime;
  /**
   * Frames and handshake answers are queued on the layer at once and in order, and the
   * consumer goes on without waiting for Redis: its last frames and the event's done then
   * leave together. A failed delivery is reported when the event is done. Each is checked
   * first as the server checks it (schema, handshake order, an offered subprotocol): one the
   * server would refuse throws here, so the consumer fails with the reason in this worker's log
   * and the connection closes with 1011, as it would have.
   */
  const toClient = (message: WireMessage): Promise<void> => {
    checkWebsocketReply(note.phase(), parseWorkerToServer(message), scope.subprotocols);
    const sent = layer.send(reply, message);
    sent.catch(() => {}); // looked at when the event is done; never an unhandled rejection before
    queued.push(sent);
    return Promise.resolve();
  };
  let log: Logger | undefined;
  let query: URLSearchParams | undefined;
  let headers: HeaderList | undefined;
  const ctx: WebSocketContext = {
    kind: 'websocket',
    consumer,
    traceparent: scope.traceparent,
    params,
    path: scope.path,
    get query() {
      return (query ??= new URLSearchParams(scope.query)); // made on first look
    },
    get headers() {
      return (headers ??= new HeaderList(scope.headers));
    },
    client: scope.client,
    subprotocols: scope.subprotocols,
    extensions: scope.extensions ?? [], // (state carried from an older worker has none)
    channel: reply,
    state,
    locals: {},
    get signal() {
      return lifetime.signal;
    },
    get log() {
      return (log ??= runtime.logger.child({ consumer, ...(scope.traceparent ? { trace_id: traceId(scope.traceparent) } : {}) })); // made on first use
    },
    accept(options = {}) {
      const sent = toClient({ type: 'websocket.accept', subprotocol: options.subprotocol ?? null, headers: options.headers ?? [] });
      note.accept();
      return sent;
    },
    deny(status = 403, body, headers) {
      note.deny();
      return toClient({ type: 'websocket.close', code: 1000, status, ...(body === undefined ? {} : { body: typeof body === 'string' ? Buffer.from(body) : body }), ...(headers ? { headers } : {}) });
    },
    send(target: string | Uint8Array, message?: WireMessage, options?: SendOptions): Promise<void> {
      if (message !== undefined) return runtime.send(target as string, message, { traceparent: scope.traceparent, ...options });
      return toClient(typeof target === 'string' ? { type: 'websocket.send', text: target } : { type: 'websocket.send', bytes: target });
    },
    sendJson(value) {
      return toClient({ type: 'websocket.send', text: JSON.stringify(value) });
    },
    close(code = 1000, reason = '') {
      note.deny();
      return toClient({ type: 'websocket.close', code, reason });
    },
    async groupAdd(group, options) {
      await layer.groupAdd(group, reply, options);
      groups.add(group);
    },
    async groupDiscard(group) {
      await layer.groupDiscard(group, reply);
      groups.delete(group);
    },
    get groups() {
      return [...groups];
    },
    ...groupFunctions(runtime),
  };
  return ctx;
}
