import type { RawData, WebSocket } from 'ws';
import { ChannelFull } from '../../channel-layer/index.js';
import { encodedSize, parseWorkerToServer, type WireMessage } from '../../schemas/index.js';
import type { ServerContext } from '../context.js';
import { logFailure, outcomeOf, ProtocolViolation, WorkerTimeout } from '../failures.js';
import type { RequestScope } from '../http/scope.js';
import type { Handshake } from './handshake.js';

type Phase = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * A group's message reaches every local member as the same object: it is checked once, not
 * once per member.
 */
const broadcasts = new WeakMap<WireMessage, ReturnType<typeof parseWorkerToServer> | Error>();

function parseBroadcast(raw: WireMessage): ReturnType<typeof parseWorkerToServer> | Error {
  let parsed = broadcasts.get(raw);
  if (parsed === undefined) {
    try {
      parsed = parseWorkerToServer(raw);
    } catch (error) {
      parsed = error as Error;
    }
    broadcasts.set(raw, parsed);
  }
  return parsed;
}

/** What an open session's handshake becomes: nothing left to answer. */
const OPENED: Handshake = { onGone() {}, offGone() {}, deny() {}, accept() {} };

/** Why a finished session stops reading (a prepared reason: `abort()` alone builds a DOMException). */
const SESSION_OVER = new Error('session over');

/** Message types the server itself understands; any other type reaching a connection is an app event. */
const PROTOCOL_TYPE = /^(http|websocket|group|lifespan)\./;

/**
 * One WebSocket connection, from the upgrade request to the last event.
 *
 *   connecting ──accept──▶ open ──client or worker closes──▶ closing ──disconnect done──▶ closed
 *        └──close/deny/timeout──▶ closed (an HTTP response instead of a WebSocket)
 *
 * Events (connect, each frame, group messages, disconnect) go to the workers one at a time:
 * the next leaves only when a worker answered `websocket.done` for the last, so any worker may
 * take any event and no two ever handle this connection at once. The connection's state rides
 * along in every event and comes back with `websocket.done`.
 */
export class WebSocketSession {
  private phase: Phase = 'connecting';
  private ws: WebSocket | undefined;
  private reply = '';
  private readonly queue: WireMessage[] = [];
  /** Events that came through a group (a full channel drops them instead of failing the connection). */
  private readonly groupEvents = new WeakSet<WireMessage>();
  private busy = false;
  private disconnectQueued = false;
  private state: Record<string, unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stop = new AbortController();
  private paused = false;
  private readonly began = performance.now();
  private framesIn = 0;
  private framesOut = 0;
  private closeCode: number | undefined;
  /** The client's socket closed while its connect event was with a worker. */
  private socketGone = false;
  /** The handshake until the connection is open or refused: it holds the upgrade request. */
  private handshake: Handshake;
  private connectEvent: WireMessage | undefined;
  private readonly path: string;
  private readonly httpVersion: string;
  /** Set by the keep-alive sweep; a connection that misses a pong is dropped. */
  private answeredPing = true;

  constructor(
    private readonly ctx: ServerContext,
    handshake: Handshake,
    scope: RequestScope,
    private readonly subprotocols: string[],
    private readonly target: string,
  ) {
    this.handshake = handshake;
    this.path = scope.path;
    this.httpVersion = scope.http_version;
    this.connectEvent = { type: 'websocket.connect', ...scope, scheme: scope.scheme === 'https' ? 'wss' : 'ws', subprotocols };
  }

  async run(): Promise<void> {
    const { layer } = this.ctx;
    this.handshake.onGone(this.onSocketGone);
    try {
      this.reply = await layer.newChannel('ws');
      const connect = this.connectEvent!;
      this.connectEvent = undefined; // an open connection keeps only its path, not its request
      this.enqueue(connect);
      while (this.phase !== 'closed') {
        const batch = await layer.receive([this.reply], { max: 32, signal: this.stop.signal });
        this.ctx.metrics?.received(this.target, batch.length);
        for (const { message, group } of batch) {
          if (group !== undefined) {
            this.fromGroup(message, group);
            continue;
          }
          // A bad message fails the connection, but the session keeps reading: the disconnect
          // event still has to go out and be answered.
          try {
            this.handle(message);
          } catch (error) {
            this.fail(error);
          }
        }
      }
    } catch (error) {
      if (!this.stop.signal.aborted) this.fail(error);
    } finally {
      clearTimeout(this.timer);
      this.handshake.offGone(this.onSocketGone);
      if (this.reply !== '') layer.releaseChannel(this.reply);
      if (this.phase === 'connecting') this.handshake.deny(503, 'service unavailable, try again later');
    }
  }

  /** Server shutdown: close with 1001, or refuse a handshake still in progress. */
  shutdown(): void {
    if (this.phase === 'open') this.ws?.close(1001, 'server shutting down');
    else if (this.phase === 'connecting') this.finish(() => this.handshake.deny(503, 'server shutting down'));
  }

  /** One round of keep-alive: drop the connection if the last ping went unanswered. */
  ping(): void {
    if (this.phase !== 'open' || this.ws === undefined) return;
    if (!this.answeredPing) {
      this.ws.terminate();
      return;
    }
    this.answeredPing = false;
    this.ws.ping();
  }

  /**
   * A message that reached this connection through a group. `websocket.send` and
   * `websocket.close` are applied here, straight to the client: a broadcast costs no worker
   * round trip per member. Custom types become events for the consumer; what is neither is
   * ignored, since a group message must never break its members' connections.
   */
  private fromGroup(raw: WireMessage, group: string): void {
    if (raw.type === 'websocket.send' || raw.type === 'websocket.close') {
      const message = parseBroadcast(raw);
      if (message instanceof Error) {
        this.ctx.logger.warn({ group, err: message }, `ignored a malformed "${raw.type}" sent to group ${group}`);
        return;
      }
      if (this.phase !== 'open' || this.ws === undefined) return;
      if (message.type === 'websocket.send') {
        this.ws.send(message.text ?? message.bytes!);
        this.framesOut++;
      } else if (message.type === 'websocket.close') {
        this.phase = 'closing';
        this.ws.close(message.code, message.reason);
      }
      return;
    }
    if (PROTOCOL_TYPE.test(raw.type)) {
      this.ctx.logger.warn({ group }, `ignored a "${raw.type}" message sent to group ${group}: only websocket.send, websocket.close and custom types reach members`);
      return;
    }
    if (this.phase === 'open' || this.phase === 'connecting') this.enqueue({ ...raw }, true);
  }

  private handle(raw: WireMessage): void {
    if (!PROTOCOL_TYPE.test(raw.type)) {
      // A message sent to this connection's channel: the consumer handles it in turn (if it
      // comes during the handshake, after the connect event; a denial drops it).
      if (this.phase === 'open' || this.phase === 'connecting') this.enqueue({ ...raw });
      return;
    }
    const message = parseWorkerToServer(raw);
    switch (message.type) {
      case 'websocket.accept':
        if (this.phase !== 'connecting') throw new ProtocolViolation('"websocket.accept" only once, before anything else', message.type);
        if (message.subprotocol !== null && !this.subprotocols.includes(message.subprotocol)) {
          throw new ProtocolViolation(`a subprotocol the client offered (${this.subprotocols.join(', ') || 'none'})`, `subprotocol "${message.subprotocol}"`);
        }
        this.phase = 'open';
        if (this.socketGone) {
          this.onClientClose(1006, ''); // accepted too late: the consumer still hears the client left
          return;
        }
        this.handshake.accept(message, (ws) => this.opened(ws));
        return;
      case 'websocket.close':
        if (this.phase === 'connecting') {
          this.finish(() => this.handshake.deny(message.status ?? 403, message.body ?? '', message.headers ?? []));
        } else if (this.phase === 'open') {
          this.phase = 'closing';
          this.ws?.close(message.code, message.reason);
        }
        return;
      case 'websocket.send':
        if (this.phase === 'connecting') throw new ProtocolViolation('"websocket.accept" before "websocket.send"', message.type);
        if (this.phase === 'open' && this.ws !== undefined) {
          this.ws.send(message.text ?? message.bytes!);
          this.framesOut++;
        }
        return;
      case 'websocket.done':
        this.done(message.state);
        return;
      case 'group.add':
        this.ctx.layer.groupAdd(message.group, message.channel).catch((error: unknown) => this.fail(error));
        return;
      case 'group.discard':
        this.ctx.layer.groupDiscard(message.group, message.channel).catch((error: unknown) => this.fail(error));
        return;
      case 'group.send':
        this.ctx.layer.groupSend(message.group, message.message).catch((error: unknown) => this.fail(error));
        return;
      default:
        throw new ProtocolViolation('a websocket.* or group.* message', message.type);
    }
  }

  private done(state: Record<string, unknown> | undefined): void {
    if (!this.busy) throw new ProtocolViolation('"websocket.done" only for an event in progress', 'websocket.done');
    clearTimeout(this.timer);
    this.busy = false;
    if (state !== undefined) {
      const size = encodedSize(state);
      if (size > this.ctx.options.limits.stateMaxBytes) {
        throw new ProtocolViolation(`state of at most ${this.ctx.options.limits.stateMaxBytes} bytes`, `${size} bytes`);
      }
      this.state = state;
    }
    if (this.phase === 'connecting') {
      // The connect event ended with neither accept nor close: the handshake is refused.
      this.finish(() => this.handshake.deny(403, 'WebSocket refused by the application'));
      return;
    }
    if (this.disconnectQueued && this.queue.length === 0) {
      this.finish();
      return;
    }
    this.dispatch();
  }

  private opened(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(data, isBinary));
    ws.on('pong', () => (this.answeredPing = true));
    ws.on('error', () => {}); // the 'close' that follows says how it ended
    ws.once('close', (code: number, reason: Buffer) => this.onClientClose(code, reason.toString()));
    this.ctx.logger.debug({ path: this.path, http_version: this.httpVersion, reply_channel: this.reply }, 'websocket open');
    // Open: the upgrade request and its socket listeners are no longer needed.
    this.handshake.offGone(this.onSocketGone);
    this.handshake = OPENED;
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.framesIn++;
    const payload = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.enqueue(isBinary ? { type: 'websocket.receive', bytes: payload } : { type: 'websocket.receive', text: payload.toString('utf8') });
    // Backpressure: stop reading the client while its events wait for the workers.
    if (!this.paused && this.queue.length >= this.ctx.options.limits.websocketQueueLimit) {
      this.paused = true;
      this.ws?.pause();
    }
  }

  private onClientClose(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    this.closeCode = code;
    this.phase = 'closing';
    this.disconnectQueued = true;
    this.queue.push({ type: 'websocket.disconnect', code, reason });
    this.dispatch();
  }

  /**
   * The socket went away before the WebSocket was up. After an accept the consumer still
   * hears of it (code 1006), so what its connect handler set up (groups) is undone.
   */
  private readonly onSocketGone = (): void => {
    if (this.phase === 'connecting') {
      // The connect event is with a worker, which may accept (and join groups): wait for it.
      if (this.busy) this.socketGone = true;
      else this.finish();
    } else if (this.ws === undefined) {
      this.onClientClose(1006, '');
    }
  };

  private enqueue(event: WireMessage, fromGroup = false): void {
    if (this.disconnectQueued) return;
    if (fromGroup) this.groupEvents.add(event);
    if (this.queue.length >= this.ctx.options.limits.websocketQueueLimit * 2) {
      this.ctx.logger.warn({ reply_channel: this.reply, type: event.type }, 'dropped an event for a connection whose queue is full');
      return;
    }
    this.queue.push(event);
    this.dispatch();
  }

  /** Sends the next event if none is in progress. */
  private dispatch(): void {
    if (this.busy || this.phase === 'closed') return;
    const event = this.queue.shift();
    if (event === undefined) return;
    this.busy = true;
    event.reply_channel = this.reply;
    // The connection's state, never whatever a group message carried under that name.
    if (this.state !== undefined) event.state = this.state;
    else delete event.state;
    const limits = this.ctx.options.limits;
    const timeout = event.type === 'websocket.connect' ? limits.websocketHandshakeTimeoutMs : limits.websocketEventTimeoutMs;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(new WorkerTimeout(`"${event.type}" not done within ${timeout} ms`)), timeout);
    this.ctx.layer.send(this.target, event).then(this.countSent, (error: unknown) => {
      // A group's event that finds the channel full is dropped (at most once, like the group
      // send itself); the member's own frames are not, and fail the connection (1013).
      if (error instanceof ChannelFull && this.groupEvents.has(event)) {
        this.ctx.logger.warn({ channel: this.target, type: event.type }, `dropped a "${event.type}" group event: ${error.message}`);
        clearTimeout(this.timer);
        this.busy = false;
        this.dispatch();
      } else {
        this.fail(error);
      }
    });
    if (this.paused && this.queue.length < limits.websocketQueueLimit >> 1) {
      this.paused = false;
      this.ws?.resume();
    }
  }

  private readonly countSent = (): void => this.ctx.metrics?.sent(this.target);

  /**
   * A failure ends the connection the way the table says: an HTTP status during the handshake,
   * a close code once open. Once the client is gone there is nothing left to tell it.
   */
  private fail(error: unknown): void {
    if (this.phase === 'closed') return;
    logFailure(this.ctx.logger, error, { channel: this.target, reply_channel: this.reply, path: this.path });
    if (error instanceof ChannelFull) this.ctx.metrics?.channelFull.inc({ channel: this.target });
    const outcome = outcomeOf(error);
    if (this.phase === 'connecting') {
      this.finish(() => this.handshake.deny(outcome.status, outcome.reason));
      return;
    }
    if (this.phase === 'closing' && this.disconnectQueued) {
      this.finish(); // the disconnect event cannot be delivered: give up on it
      return;
    }
    // Whatever was in progress is abandoned; the disconnect event still goes out once closed.
    this.busy = false;
    this.queue.length = 0;
    this.phase = 'closing';
    this.ws?.close(outcome.closeCode, outcome.reason);
  }

  private finish(last?: () => void): void {
    if (this.phase !== 'closed') {
      // One access-log line per session: how it ended and what it carried.
      this.ctx.logger.info(
        { path: this.path, http_version: this.httpVersion, opened: this.ws !== undefined, code: this.closeCode, ms: Math.round(performance.now() - this.began), frames_in: this.framesIn, frames_out: this.framesOut },
        'websocket session',
      );
    }
    this.phase = 'closed';
    clearTimeout(this.timer);
    last?.();
    this.stop.abort(SESSION_OVER);
  }
}
