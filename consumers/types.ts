import type { Logger } from 'pino';
import type { GroupPosition, PresenceEntry, PresenceInfo, PresenceStats } from '../channel-layer/index.js';
import type { WireMessage } from '../schemas/index.js';
import type { SendOptions } from './durable/options.js';
import type { HeaderList } from './http/headers.js';
import type { HttpRequest } from './http/request.js';
import type { ResponseLike } from './http/response.js';

/** What every consumer's context has. */
export interface BaseContext {
  /** How logs name the consumer: `GET /hello`, `websocket /ws/chat/:room`, `channel thumbnails`. */
  readonly consumer: string;
  /** Aborted when the client goes away or the consumer's time is up. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** W3C trace context of the request or job this consumer serves (in its log lines as trace_id). */
  readonly traceparent: string | undefined;
  /** Free-form values middleware hands to consumers (`ctx.locals.user`). */
  locals: Record<string, unknown>;
  /**
   * Sends `message` to a named channel (another consumer, a durable channel). Options apply to
   * durable channels: `delayMs` (send later), `jobId` (idempotent: enqueued once per id).
   */
  send(channel: string, message: WireMessage, options?: SendOptions): Promise<void>;
  /**
   * Delivers `message` to every member of `group`; custom types reach members' `events` handlers.
   * In a group with history (`app.history`) it resolves to the message's position.
   */
  groupSend(group: string, message: WireMessage): Promise<GroupPosition | undefined>;
  /**
   * Sends a frame to every WebSocket in `group`, written by the interface servers directly: no
   * consumer runs per member, so it is the cheap way to fan out to many. `except` leaves out
   * connections: "everyone in the room but me" is `{ except: ctx }`.
   */
  broadcast(group: string, data: string | Uint8Array, options?: BroadcastOptions): Promise<GroupPosition | undefined>;
  /** Live members of `group` with the presence records they joined with. */
  presence(group: string): Promise<PresenceEntry[]>;
  /** How many connections `group` has, and how many distinct users among them. */
  presenceStats(group: string): Promise<PresenceStats>;
}

export interface GroupAddOptions {
  /** This connection's presence record in the group: a user id and what others may see (JSON, at most 1 KiB). */
  info?: PresenceInfo;
  /** Send `group.join` to the group now, and `group.leave` when the connection leaves it. */
  announce?: boolean;
}

export interface BroadcastOptions {
  /** Connections (a WebSocket context, or a connection's `channel`) that do not get the frame. */
  except?: WebSocketContext | string | readonly (WebSocketContext | string)[];
}

export interface HttpContext extends BaseContext {
  readonly kind: 'http';
  readonly request: HttpRequest;
  readonly params: Record<string, string>;
  /** Middleware may answer here instead of calling `next()`. */
  response?: ResponseLike;
  /** 103 Early Hints: `Link` header values to preload, and any other hint headers. */
  earlyHints(links: string[], headers?: [string, string][]): Promise<void>;
  /**
   * HTTP/2 push where the client allows it (`'pushed'`: the server pushes, unless the client
   * then declines), a 103 preload hint otherwise (`'hinted'`), nothing to an HTTP/1.0 client
   * (`'dropped'`).
   */
  push(path: string, headers?: [string, string][]): Promise<'pushed' | 'hinted' | 'dropped'>;
}

export interface WebSocketMessage {
  text?: string;
  bytes?: Uint8Array;
}

export interface WebSocketContext<State extends Record<string, unknown> = Record<string, unknown>> extends Omit<BaseContext, 'send'> {
  readonly kind: 'websocket';
  readonly params: Record<string, string>;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: HeaderList;
  readonly client: [string, number] | null;
  /** Subprotocols the client offered. */
  readonly subprotocols: string[];
  /** WebSocket extensions the connection speaks once accepted (`permessage-deflate`). */
  readonly extensions: string[];
  /** This connection's channel: groups hold it, anyone may send to it. */
  readonly channel: string;
  /** Kept with the connection by the server and handed to every later event. */
  state: State;
  accept(options?: { subprotocol?: string; headers?: [string, string][] }): Promise<void>;
  /** Refuses the handshake with an HTTP answer (403 by default). */
  deny(status?: number, body?: string | Uint8Array, headers?: [string, string][]): Promise<void>;
  /** A frame to the client (text or bytes) … */
  send(data: string | Uint8Array): Promise<void>;
  /** … or, with two arguments, a message to a named channel. */
  send(channel: string, message: WireMessage, options?: SendOptions): Promise<void>;
  /** A text frame of `JSON.stringify(value)`. */
  sendJson(value: unknown): Promise<void>;
  close(code?: number, reason?: string): Promise<void>;
  /**
   * Puts this connection in `group`. In a group with history, a client that reconnects with the
   * last position it saw (switchyard/client does) first gets every message it missed.
   */
  groupAdd(group: string, options?: GroupAddOptions): Promise<void>;
  groupDiscard(group: string): Promise<void>;
  /**
   * The groups this connection's consumer put it in: its `groups`, and what `ctx.groupAdd` added
   * since (less what `ctx.groupDiscard` took away). Kept with the connection's state.
   */
  readonly groups: readonly string[];
}

export interface ChannelContext extends BaseContext {
  readonly kind: 'channel';
  /** The channel the message came on. */
  readonly channel: string;
}

export type AnyContext = HttpContext | WebSocketContext | ChannelContext;

export type HttpHandler = (request: HttpRequest, ctx: HttpContext) => ResponseLike | Promise<ResponseLike>;

type Handler<C, A extends unknown[] = []> = (ctx: C, ...args: A) => void | Promise<unknown>;

/**
 * A WebSocket consumer. Without `connect` the connection is accepted; a `connect` must call
 * `ctx.accept()` or `ctx.deny()` (neither means denied). `events` handle custom message types
 * that reach the connection through its groups (`chat.message`).
 */
export interface WebSocketConsumer<State extends Record<string, unknown> = Record<string, unknown>> {
  /**
   * Groups every connection joins before `connect` runs (as Django Channels' `groups`): a list,
   * or made from the connection (`(ctx) => [`room.${ctx.params.room}`]`). A connection that
   * closes or is denied leaves every group it is in: the interface server takes it out.
   */
  groups?: readonly string[] | ((ctx: WebSocketContext<State>) => readonly string[]);
  connect?: Handler<WebSocketContext<State>>;
  receive?: Handler<WebSocketContext<State>, [message: WebSocketMessage]>;
  /**
   * Instead of `receive`: each text frame parsed as JSON. A frame that is not JSON (or is
   * binary) closes the connection with 1007, unless `invalidJson` handles it.
   */
  receiveJson?: Handler<WebSocketContext<State>, [data: unknown]>;
  invalidJson?: Handler<WebSocketContext<State>, [message: WebSocketMessage, error: Error]>;
  disconnect?: Handler<WebSocketContext<State>, [close: { code: number; reason: string }]>;
  events?: Record<string, Handler<WebSocketContext<State>, [event: WireMessage]>>;
}

export type ChannelHandler<M extends WireMessage = WireMessage> = (message: M, ctx: ChannelContext) => void | Promise<void>;

/** Runs around every consumer; call `next()` to go on, or answer/deny and return. */
export type Middleware = (ctx: AnyContext, next: () => Promise<void>) => void | Promise<void>;
