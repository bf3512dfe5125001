import type { WebSocket } from 'ws';
import type { Handshake } from './handshake.js';

/**
 * Where a session is, with what each state owns:
 * - `connecting`: the connect event is with the workers; the handshake (holding the upgrade
 *   request) waits for their answer. `socketGone`: the client left meanwhile.
 * - `open`: accepted; `ws` is the WebSocket once the handshake has completed. `paused`: its
 *   socket is not read while its events pile up; `answeredPing`: the keep-alive sweep's last
 *   ping got its pong.
 * - `closing`: the client or a worker closed (or is closing) the WebSocket; the disconnect
 *   event is yet to be done. `ws` is absent when the handshake never completed.
 * - `closed`: nothing left; the reply channel is released.
 */
export type SessionState =
  | { phase: 'connecting'; handshake: Handshake; socketGone: boolean }
  | { phase: 'open'; ws: WebSocket | undefined; paused: boolean; answeredPing: boolean }
  | { phase: 'closing'; ws: WebSocket | undefined }
  | { phase: 'closed' };

export const CLOSED: SessionState = { phase: 'closed' };
