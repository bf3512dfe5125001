/**
 * Version of the message vocabulary and its wire envelope. A receiver refuses envelopes of
 * another version rather than guessing, so a rolling deploy that mixes versions fails loudly.
 *
 * 2: `http.response` (a whole response in one message), `websocket.send.except`,
 *    `websocket.connect.extensions`.
 * 3: `group.add`, `group.discard` and `group.send` are no longer worker → server messages:
 *    consumers change groups through the channel layer (`ctx.groupAdd`, `ctx.broadcast`…),
 *    the one path for group operations.
 * 4: `websocket.done.events_to`: a worker may keep a connection's later events for itself (an
 *    ASGI app's WebSocket handler runs from connect to disconnect in one process).
 */
export const PROTOCOL_VERSION = 4;
