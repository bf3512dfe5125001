import { z } from 'zod';
import { bytes, channelName, connectionScope, connectionState, headers } from './common.js';

/** Exactly one of `text` and `bytes` carries a frame's payload. */
function oneFramePayload(value: { text?: string | undefined; bytes?: Uint8Array | undefined }): boolean {
  return (value.text === undefined) !== (value.bytes === undefined);
}
const framePayloadError = { message: 'exactly one of "text" and "bytes" must be set', path: ['text'] };

export const websocketConnect = z.object({
  type: z.literal('websocket.connect'),
  ...connectionScope,
  scheme: z.enum(['ws', 'wss']),
  subprotocols: z.array(z.string()).default([]),
  /** WebSocket extensions the connection speaks once accepted, as the server negotiates them (`permessage-deflate`). */
  extensions: z.array(z.string()).default([]),
  /**
   * The server accepted the WebSocket already (the app's manifest said the route has no
   * `connect` consumer and the app no middleware): the worker runs the event, but has no
   * handshake to answer.
   */
  accepted: z.boolean().optional(),
  state: connectionState.optional(),
});

export const websocketReceive = z
  .object({
    type: z.literal('websocket.receive'),
    reply_channel: channelName,
    text: z.string().optional(),
    bytes: bytes.optional(),
    state: connectionState.optional(),
  })
  .refine(oneFramePayload, framePayloadError);

export const websocketDisconnect = z.object({
  type: z.literal('websocket.disconnect'),
  reply_channel: channelName,
  code: z.number().int().min(1000).max(4999),
  reason: z.string().default(''),
  state: connectionState.optional(),
});

export const websocketAccept = z.object({
  type: z.literal('websocket.accept'),
  subprotocol: z.string().nullable().default(null),
  headers: headers.default([]),
});

/** The most members one broadcast may leave out. */
export const BROADCAST_EXCEPT_MAX = 1000;

export const websocketSend = z
  .object({
    type: z.literal('websocket.send'),
    text: z.string().optional(),
    bytes: bytes.optional(),
    /** Sent to a group: the channels of members that do not get the frame (the sender, say). */
    except: z.array(z.string()).max(BROADCAST_EXCEPT_MAX).optional(),
  })
  .refine(oneFramePayload, framePayloadError);

/**
 * Closes the connection. Sent before `websocket.accept` it denies the handshake: the client
 * gets `status` (403 by default) with `headers` and `body` instead of a WebSocket.
 */
export const websocketClose = z.object({
  type: z.literal('websocket.close'),
  code: z
    .number()
    .int()
    .refine((c) => c === 1000 || (c >= 3000 && c <= 4999) || (c >= 1001 && c <= 1014 && c !== 1004 && c !== 1005 && c !== 1006), {
      message: 'not a close code an endpoint may send',
    })
    .default(1000),
  reason: z.string().max(123).default(''),
  status: z.number().int().min(400).max(599).optional(),
  headers: headers.optional(),
  body: bytes.optional(),
});

/**
 * Worker → server: the worker finished handling the connection's last event. The server sends
 * a connection's events one at a time and the next only after this, so no two workers ever
 * handle one connection at once. `state` replaces the connection's state, which the server
 * carries in every later event.
 */
export const websocketDone = z.object({
  type: z.literal('websocket.done'),
  state: connectionState.optional(),
  /**
   * The connection's later events go to this process-specific channel (`<process>!<suffix>`),
   * not the route's shared channel: for a worker that keeps a connection's handler running
   * between events (an ASGI app's WebSocket coroutine). The connection then lives as long as
   * that worker answers its events in time.
   */
  events_to: channelName.refine((name) => name.includes('!'), { message: 'a process-specific channel (<process>!<suffix>)' }).optional(),
});

/**
 * Server → worker: a message that reached a connection through a group or its channel (a
 * custom type such as `chat.message`), handed to the connection's consumer like any event.
 */
export const connectionEvent = z.looseObject({
  type: z
    .string()
    .min(1)
    .refine((t) => !/^(http|websocket|lifespan)\./.test(t), { message: 'custom event types may not use the http., websocket. or lifespan. namespaces' }),
  reply_channel: channelName,
  state: connectionState.optional(),
});

export type WebsocketDone = z.infer<typeof websocketDone>;
export type ConnectionEvent = z.infer<typeof connectionEvent>;
export type WebsocketConnect = z.infer<typeof websocketConnect>;
export type WebsocketReceive = z.infer<typeof websocketReceive>;
export type WebsocketDisconnect = z.infer<typeof websocketDisconnect>;
export type WebsocketAccept = z.infer<typeof websocketAccept>;
export type WebsocketSend = z.infer<typeof websocketSend>;
export type WebsocketClose = z.infer<typeof websocketClose>;
