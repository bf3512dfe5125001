import type { RawData, WebSocket } from 'ws';
import { ChannelFull, deadlines, inboxOf, LayerUnavailable, type Expiring, type GroupPosition, type Recipient, type Unrecoverable } from '../../channel-layer/index.js';
import { checkDone, checkWebsocketReply, EventSequence, parseWorkerToServer, ProtocolViolation, type WebsocketAccept, type WireMessage } from '../../schemas/index.js';
import type { ServerContext } from '../context.js';
import { logFailure, NoWorker, outcomeOf, QueueOverflow, WorkerTimeout } from '../failures.js';
import type { RequestScope } from '../http/scope.js';
import { advanceFrame, clientFraming, followedFrame, historyFrame, messageFrame, positionFrame, type ClientFraming } from './client-frames.js';
import { leftOut, parseBroadcast, PROTOCOL_TYPE } from './group-messages.js';
import { CLOSED, type SessionState } from './session-state.js';
import { listenTo, type SocketEvents } from './socket-listeners.js';
import { agreedExtensions } from './upgrader.js';
import type { Handshake } from './handshake.js';


/** Most messages a group history holds (the `groupHistory` rules' limit): a recovery's most frames. */
const MAX_HISTORY_SIZE = 100_000;

/** How the server accepts a handshake it takes at once: as a consumer without `connect` would. */
const AT_ONCE: WebsocketAccept = { type: 'websocket.accept', subprotocol: null, headers: [] };

/**
 * One WebSocket connection, from the upgrade request to the last event.
 *
 *   connecting ──accept──▶ open ──client or worker closes──▶ closing ──disconnect done──▶ closed
 *        └──close/deny/timeout──▶ closed (an HTTP response instead of a WebSocket)
 *
 * Events (connect, each frame, group messages, disconnect) go to the workers one at a time
 * (EventSequence). The connection's state rides along in every event and comes back with
 * `websocket.done`. The session is the recipient of its reply channel and keeps its deadline
 * on the process's wheel: an idle connection holds this object, its `ws` and an entry in the
 * layer's map, and waits on nothing.
 */
export class WebSocketSession implements Recipient, Expiring, SocketEvents {
  private state: SessionState;
  private reply = '';
  private readonly events: EventSequence;
  /** Events that came through a group (a full channel drops them instead of failing the connection). */
  private groupEvents: WeakSet<WireMessage> | undefined;
  /** The last wait before sending an event again (0: the last send did not fail). */
  private retryMs = 0;
  private carried: Record<string, unknown> | undefined;
  private deadline = 0;
  /** Whole milliseconds: a small integer, not a boxed double per connection. */
  private readonly began = Math.round(performance.now());
  private framesIn = 0;
  private framesOut = 0;
  private closeCode: number | undefined;
  private wasOpened = false;
  /** The handshake whose transport is watched for the client leaving, until the WebSocket is up. */
  private watched: Handshake | undefined;
  private readonly path: string;
  private readonly httpVersion: string;

  /** The route's channel: what metrics and logs name, whoever takes the events. */
  private readonly route: string;
  /** Set when the client speaks switchyard/client's framing (client-frames.ts). */
  private readonly framing: ClientFraming | undefined;
  /** Positions in groups with history, for a client without the framing (a re-join recovers from them). */
  private positions: Map<string, GroupPosition> | undefined;
  /** Group frames that came before the socket was open (a recovery begun in `connect`), written once it is. */
  private early: (string | Uint8Array)[] | undefined;

  constructor(
    private readonly ctx: ServerContext,
    handshake: Handshake,
    scope: RequestScope,
    private readonly subprotocols: string[],
    /** Where its events go: the route's channel, or the worker's own once it asked (`websocket.done.events_to`). */
    private target: string,
    /** Called once, when the session is closed. */
    private readonly onEnd: (session: WebSocketSession) => void,
  ) {
    this.route = target;
    this.state = { phase: 'connecting', handshake, socketGone: false };
    this.path = scope.path;
    this.httpVersion = scope.http_version;
    this.framing = clientFraming(scope.query_string);
    this.events = new EventSequence(ctx.options.limits.websocketQueueLimit);
  }

  /**
   * Sends the connect event; from here on, replies, the client and the clock drive the session.
   * `acceptAtOnce`: the app has nothing to decide about this handshake (no `connect` consumer,
   * no middleware), so the server completes it now and the connect event is an ordinary first
   * event; otherwise the worker's answer to it completes or refuses the handshake.
   */
  start(scope: RequestScope, acceptAtOnce: boolean): void {
    const state = this.state;
    if (state.phase !== 'connecting') return;
    this.watched = state.handshake;
    this.watched.onGone(this.onSocketGone);
    const known = this.ctx.layer.hasReceivers(this.target);
    if (known === true) this.connect(scope, acceptAtOnce);
    else known.then((some) => (some ? this.connect(scope, acceptAtOnce) : this.fail(new NoWorker(this.target))), (error: unknown) => this.fail(error));
  }

  /** The connect event goes to the workers (the socket accepted first, if the route allows). */
  private connect(scope: RequestScope, acceptAtOnce: boolean): void {
    const state = this.state;
    if (state.phase !== 'connecting') return; // the client left while the server looked for workers
    try {
      this.reply = this.ctx.layer.openChannel(this, 'ws');
    } catch (error) {
      this.fail(error);
      return;
    }
    const extensions = agreedExtensions(this.ctx.options, scope.http_version, scope.headers);
    const connect: WireMessage = { type: 'websocket.connect', ...scope, scheme: scope.scheme === 'https' ? 'wss' : 'ws', subprotocols: this.subprotocols, extensions };
    if (acceptAtOnce) {
      connect.accepted = true;
      this.state = { phase: 'open', ws: undefined, paused: false, answeredPing: true };
      state.handshake.accept(AT_ONCE, (ws) => this.opened(ws));
    }
    this.enqueue(connect);
  }

  deliver(message: WireMessage, group: string | undefined, position?: GroupPosition): void {
    if (this.state.phase === 'closed') return;
    this.ctx.metrics?.received(this.route, 1);
    if (group !== undefined) {
      if (position !== undefined) this.saw(group, position);
      this.fromGroup(message, group, position);
      return;
    }
    // A bad message fails the connection, but the session goes on: the disconnect event still
    // has to go out and be answered.
    try {
      this.handle(message);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Where the client stands in `group`: what it said when it connected, or what it has been sent since. */
  positionIn(group: string): GroupPosition | undefined {
    return (this.framing?.positions ?? this.positions)?.get(group);
  }

  followed(group: string, position: GroupPosition, missed: Unrecoverable | undefined): void {
    if (this.state.phase === 'closed') return;
    this.saw(group, position);
    if (this.framing !== undefined) this.toClient(followedFrame(group, position, missed));
  }

  private saw(group: string, position: GroupPosition): void {
    const positions = this.framing?.positions ?? (this.positions ??= new Map());
    positions.set(group, position);
  }

  /**
   * Writes a group's frame: at once on an open socket, kept until it opens while the handshake
   * is still going (a recovery begun in `connect` comes before the accept), dropped once closing.
   */
  private toClient(frame: string | Uint8Array): void {
    const state = this.state;
    if (state.phase === 'open' && state.ws !== undefined) {
      state.ws.send(frame);
      this.framesOut++;
    } else if (state.phase === 'connecting' || state.phase === 'open') {
      const early = (this.early ??= []);
      // Room for a whole recovery (a history holds at most MAX_HISTORY_SIZE) and what comes live meanwhile.
      if (early.length >= MAX_HISTORY_SIZE + this.ctx.options.limits.websocketQueueLimit) this.fail(new QueueOverflow(early.length));
      else early.push(frame);
    }
  }

  /** Its events wait in its queue while Redis is away (sends are tried again): see `sendFailed`. */
  readonly ridesOutOutages = true;

  /** Consumers put it in groups: released, it leaves them all, whatever the app's disconnect does. */
  readonly joinsGroups = true;

  lost(error: Error): void {
    this.reply = ''; // the layer has forgotten it already
    this.fail(error);
  }

  /** A reply that could not be read fails the connection (1011) at once; the disconnect still goes out. */
  unreadable(error: Error): void {
    if (this.state.phase !== 'closed') this.fail(error);
  }

  expire(): void {
    this.deadline = 0;
    const type = this.events.inProgress?.type ?? 'event';
    const limits = this.ctx.options.limits;
    const timeout = type === 'websocket.connect' ? limits.websocketHandshakeTimeoutMs : limits.websocketEventTimeoutMs;
    this.fail(new WorkerTimeout(`"${type}" not done within ${timeout} ms`));
  }

  /** Server shutdown: close with 1001, or refuse a handshake still in progress. */
  shutdown(): void {
    const state = this.state;
    if (state.phase === 'open') state.ws?.close(1001, 'server shutting down');
    else if (state.phase === 'connecting') this.finish(() => state.handshake.deny(503, 'server shutting down'));
  }

  /** One round of keep-alive: drop the connection if the last ping went unanswered. */
  ping(): void {
    const state = this.state;
    if (state.phase !== 'open' || state.ws === undefined) return;
    if (!state.answeredPing) {
      state.ws.terminate();
      return;
    }
    state.answeredPing = false;
    state.ws.ping();
  }

  /**
   * A message that reached this connection through a group. `websocket.send` and
   * `websocket.close` are applied here, straight to the client: a broadcast costs no worker
   * round trip per member. Custom types become events for the consumer; what is neither is
   * ignored, since a group message must never break its members' connections.
   */
  private fromGroup(raw: WireMessage, group: string, position: GroupPosition | undefined): void {
    if (raw.type === 'websocket.send' || raw.type === 'websocket.close') {
      const message = parseBroadcast(raw);
      if (message instanceof Error) {
        this.ctx.logger.warn({ group, err: message }, `ignored a malformed "${raw.type}" sent to group ${group}`);
        return;
      }
      if (message.type === 'websocket.send') {
        if (leftOut(message.except, this.reply)) this.skipped(group, position);
        else this.broadcastFrame(group, position, message.text, message.bytes);
        return;
      }
      const state = this.state;
      if (state.phase !== 'open' || state.ws === undefined) return;
      if (message.type === 'websocket.close') {
        this.state = { phase: 'closing', ws: state.ws };
        state.ws.close(message.code, message.reason);
      }
      return;
    }
    if (PROTOCOL_TYPE.test(raw.type)) {
      this.ctx.logger.warn({ group }, `ignored a "${raw.type}" message sent to group ${group}: only websocket.send, websocket.close and custom types reach members`);
      return;
    }
    if (this.state.phase === 'open' || this.state.phase === 'connecting') this.enqueue({ ...raw }, true);
    this.skipped(group, position); // the consumer answers it: the client is not sent it again after a reconnect
  }

  /** A positioned group message the client is not sent as such: it moves the client's position on. */
  private skipped(group: string, position: GroupPosition | undefined): void {
    if (position !== undefined && this.framing !== undefined) this.toClient(advanceFrame(group, position));
  }

  /** A group's `websocket.send`, framed for switchyard/client with its position when it has one. */
  private broadcastFrame(group: string, position: GroupPosition | undefined, text: string | undefined, bytes: Uint8Array | undefined): void {
    if (this.framing === undefined) {
      this.toClient(text ?? bytes!);
    } else if (text !== undefined) {
      this.toClient(position === undefined ? messageFrame(text) : historyFrame(group, position, text));
    } else {
      if (position !== undefined) this.toClient(positionFrame(group, position));
      this.toClient(bytes!);
    }
  }

  private handle(raw: WireMessage): void {
    if (!PROTOCOL_TYPE.test(raw.type)) {
      // A message sent to this connection's channel: the consumer handles it in turn (if it
      // comes during the handshake, after the connect event; a denial drops it).
      if (this.state.phase === 'open' || this.state.phase === 'connecting') this.enqueue({ ...raw });
      return;
    }
    const message = parseWorkerToServer(raw);
    const state = this.state;
    checkWebsocketReply(state.phase, message, this.subprotocols); // the order rule: throws when it cannot come now
    switch (message.type) {
      case 'websocket.accept':
        if (state.phase !== 'connecting') return; // refused by checkWebsocketReply
        if (state.socketGone) {
          // Accepted too late: the consumer still hears the client left (and undoes its groups).
          this.state = { phase: 'closing', ws: undefined };
          this.onClientClose(1006, '');
          return;
        }
        this.state = { phase: 'open', ws: undefined, paused: false, answeredPing: true };
        state.handshake.accept(message, (ws) => this.opened(ws));
        return;
      case 'websocket.close':
        if (state.phase === 'connecting') {
          this.finish(() => state.handshake.deny(message.status ?? 403, message.body ?? '', message.headers ?? []));
        } else if (state.phase === 'open') {
          this.state = { phase: 'closing', ws: state.ws };
          state.ws?.close(message.code, message.reason);
        }
        return;
      case 'websocket.send':
        if (state.phase === 'open' && state.ws !== undefined) {
          state.ws.send(message.text === undefined ? message.bytes! : this.framing === undefined ? message.text : messageFrame(message.text));
          this.framesOut++;
        }
        return;
      case 'websocket.done':
        this.done(message.state, message.events_to);
        return;
      default:
        return; // not a WebSocket reply: checkWebsocketReply has thrown already
    }
  }

  private done(state: Record<string, unknown> | undefined, eventsTo?: string): void {
    checkDone(this.events, state, this.ctx.options.limits.stateMaxBytes);
    if (eventsTo !== undefined) {
      // Before the next event goes out, which may be at once below.
      if (inboxOf(eventsTo) === inboxOf(this.reply)) throw new ProtocolViolation("a worker's own channel in events_to", eventsTo);
      this.target = eventsTo;
    }
    deadlines.cancel(this, this.deadline);
    this.deadline = 0;
    if (state !== undefined) this.carried = state;
    const current = this.state;
    if (current.phase === 'connecting') {
      // The connect event ended with neither accept nor close: the handshake is refused.
      this.finish(() => current.handshake.deny(403, 'WebSocket refused by the application'));
      return;
    }
    if (this.events.finished) {
      this.finish();
      return;
    }
    this.dispatch();
  }

  private opened(ws: WebSocket): void {
    if (this.state.phase !== 'open') return;
    // Open: the upgrade request and its socket listeners are no longer needed.
    this.unwatch();
    this.state.ws = ws;
    this.wasOpened = true;
    // Listeners shared by every connection, finding theirs through the socket: an idle
    // connection holds no closures of its own.
    listenTo(ws, this);
    const early = this.early;
    this.early = undefined;
    for (const frame of early ?? []) this.toClient(frame);
    this.ctx.logger.debug({ path: this.path, http_version: this.httpVersion, reply_channel: this.reply }, 'websocket open');
  }

  /** The keep-alive ping got its pong. */
  ponged(): void {
    if (this.state.phase === 'open') this.state.answeredPing = true;
  }

  onFrame(data: RawData, isBinary: boolean): void {
    this.framesIn++;
    const payload = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.enqueue(isBinary ? { type: 'websocket.receive', bytes: payload } : { type: 'websocket.receive', text: payload.toString('utf8') });
    // Backpressure: stop reading the client while its events wait for the workers.
    const state = this.state;
    if (state.phase === 'open' && !state.paused && this.events.shouldPause) {
      state.paused = true;
      state.ws?.pause();
    }
  }

  onClientClose(code: number, reason: string): void {
    const state = this.state;
    if (state.phase === 'closed' || this.events.ended) return;
    this.closeCode = code;
    if (state.phase !== 'closing') this.state = { phase: 'closing', ws: state.phase === 'open' ? state.ws : undefined };
    this.events.end({ type: 'websocket.disconnect', code, reason });
    this.dispatch();
  }

  /**
   * The socket went away before the WebSocket was up. After an accept the consumer still
   * hears of it (code 1006), so what its connect handler set up (groups) is undone.
   */
  private readonly onSocketGone = (): void => {
    const state = this.state;
    if (state.phase === 'connecting') {
      // The connect event is with a worker, which may accept (and join groups): wait for it.
      if (this.events.busy) state.socketGone = true;
      else this.finish();
    } else if (state.phase !== 'closed' && state.ws === undefined) {
      this.onClientClose(1006, ''); // accepted, but the WebSocket never came up
    }
  };

  private unwatch(): void {
    this.watched?.offGone(this.onSocketGone);
    this.watched = undefined;
  }

  private enqueue(event: WireMessage, fromGroup = false): void {
    if (this.events.ended) return;
    if (fromGroup) (this.groupEvents ??= new WeakSet()).add(event);
    if (this.events.add(event, !fromGroup)) this.dispatch();
    else if (fromGroup) this.ctx.logger.warn({ reply_channel: this.reply, type: event.type }, 'dropped a group event for a connection whose queue is full');
    else this.fail(new QueueOverflow(this.events.waiting)); // never a gap on an open connection
  }

  /** Sends the next event if none is in progress. */
  private dispatch(): void {
    if (this.state.phase === 'closed') return;
    const event = this.events.next();
    if (event === undefined) return;
    event.reply_channel = this.reply;
    // The connection's state, never whatever a group message carried under that name.
    if (this.carried !== undefined) event.state = this.carried;
    else delete event.state;
    const limits = this.ctx.options.limits;
    const timeout = event.type === 'websocket.connect' ? limits.websocketHandshakeTimeoutMs : limits.websocketEventTimeoutMs;
    deadlines.cancel(this, this.deadline);
    this.deadline = deadlines.set(this, timeout);
    // Sent in order (the server's home shard on a cluster), though they leave one at a time:
    // an event given up on (its timeout passed) may still be queued, and the next one, a
    // disconnect say, must not be taken before it.
    this.ctx.layer.send(this.target, event).then(
      () => this.ctx.metrics?.sent(this.route),
      (error: unknown) => this.sendFailed(error),
    );
    const state = this.state;
    if (state.phase === 'open' && state.paused && this.events.shouldResume) {
      state.paused = false;
      state.ws?.resume();
    }
  }

  /**
   * A group's event that finds the channel full is dropped (at most once, like the group send
   * itself); the member's own frames are not, and fail the connection (1013). A send fails
   * before its event can be done, so the event in progress is the one that failed.
   */
  private sendFailed(error: unknown): void {
    const event = this.events.inProgress;
    // Sent again, backing off, while the event's deadline runs: a disconnect that finds the
    // channel full (the app's cleanup runs on it: it must land), and any event while Redis is
    // away (the socket stays open through a short outage; the layer says when it is too long,
    // by `lost`).
    const retry = (error instanceof ChannelFull && event?.type === 'websocket.disconnect') || error instanceof LayerUnavailable;
    if (retry && event !== undefined && this.state.phase !== 'connecting') {
      this.retryMs = Math.min(this.retryMs * 2 || 25, 1000);
      setTimeout(() => this.resend(event), this.retryMs).unref();
      return;
    }
    if (error instanceof ChannelFull && event !== undefined && this.groupEvents?.has(event)) {
      this.ctx.logger.warn({ channel: this.route, type: event.type }, `dropped a "${event.type}" group event: ${error.message}`);
      deadlines.cancel(this, this.deadline);
      this.deadline = 0;
      this.events.done();
      this.dispatch();
    } else {
      this.fail(error);
    }
  }

  private resend(event: WireMessage): void {
    if (this.state.phase === 'closed' || this.events.inProgress !== event) return;
    this.ctx.layer.send(this.target, event).then(
      () => {
        this.retryMs = 0;
        this.ctx.metrics?.sent(this.route);
      },
      (error: unknown) => this.sendFailed(error),
    );
  }

  /**
   * A failure ends the connection the way the table says: an HTTP status during the handshake,
   * a close code once open. Once the client is gone there is nothing left to tell it.
   */
  private fail(error: unknown): void {
    const state = this.state;
    if (state.phase === 'closed') return;
    logFailure(this.ctx.logger, error, { channel: this.route, reply_channel: this.reply, path: this.path });
    if (error instanceof ChannelFull) this.ctx.metrics?.channelFull.inc({ channel: this.route });
    const outcome = outcomeOf(error);
    if (state.phase === 'connecting') {
      this.finish(() => state.handshake.deny(outcome.status, outcome.reason, outcome.headers));
      return;
    }
    if (state.phase === 'closing' && this.events.ended) {
      this.finish(); // the disconnect event cannot be delivered: give up on it
      return;
    }
    // Whatever was in progress is abandoned; the disconnect event still goes out once closed.
    this.events.abandon();
    deadlines.cancel(this, this.deadline);
    this.deadline = 0;
    const ws = state.ws;
    this.state = { phase: 'closing', ws };
    ws?.close(outcome.closeCode, outcome.reason);
  }

  private finish(last?: () => void): void {
    const state = this.state;
    if (state.phase === 'closed') return;
    // One access-log line per session: how it ended and what it carried.
    this.ctx.logger.info(
      { path: this.path, http_version: this.httpVersion, opened: this.wasOpened, code: this.closeCode, ms: Math.round(performance.now() - this.began), frames_in: this.framesIn, frames_out: this.framesOut },
      'websocket session',
    );
    this.state = CLOSED;
    deadlines.cancel(this, this.deadline);
    this.deadline = 0;
    this.unwatch();
    if (this.reply !== '') this.ctx.layer.releaseChannel(this.reply);
    last?.();
    this.onEnd(this);
  }
}
