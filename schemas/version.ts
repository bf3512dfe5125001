/**
 * Version of the message vocabulary and its wire envelope. A receiver refuses envelopes of
 * another version rather than guessing, so a rolling deploy that mixes versions fails loudly.
 *
 * 2: `http.response` (a whole response in one message), `websocket.send.except`,
 *    `websocket.connect.extensions`.
 */
export const PROTOCOL_VERSION = 2;
