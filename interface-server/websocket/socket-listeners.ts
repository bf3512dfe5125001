import type { RawData, WebSocket } from 'ws';

/** What the shared listeners call on a connection's session. */
export interface SocketEvents {
  onFrame(data: RawData, isBinary: boolean): void;
  ponged(): void;
  onClientClose(code: number, reason: string): void;
}

/** The session of a `ws` socket, for the listeners every connection shares. */
const SESSION = Symbol('switchyard.session');
type SessionSocket = WebSocket & { [SESSION]: SocketEvents };

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as SessionSocket)[SESSION].onFrame(data, isBinary);
}

function onPong(this: WebSocket): void {
  (this as SessionSocket)[SESSION].ponged();
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as SessionSocket)[SESSION].onClientClose(code, reason.toString());
}

function ignore(): void {}

/**
 * Listens to an open WebSocket for its session with functions every connection shares: an idle
 * connection holds no closures of its own, only a property naming its session.
 */
export function listenTo(ws: WebSocket, session: SocketEvents): void {
  (ws as SessionSocket)[SESSION] = session;
  ws.on('message', onMessage);
  ws.on('pong', onPong);
  ws.on('error', ignore); // the 'close' that follows says how it ended
  ws.on('close', onClose);
}
