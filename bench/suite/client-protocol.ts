/** IPC between the suite and its WebSocket client processes (client.ts). */

export type ToClient =
  /** Ping-pong on `connections` connections; RTTs of messages sent after the warm-up. */
  | { cmd: 'echo'; url: string; connections: number; bytes: number; warmupMs: number; durationMs: number }
  /** Opens and holds `count` connections, `concurrency` handshakes at a time. */
  | { cmd: 'open'; url: string; count: number; concurrency: number }
  /** Opens the connection whose messages the plain server broadcasts. */
  | { cmd: 'control'; url: string }
  /**
   * Waits until every member still open received broadcast `id` or `timeoutMs` passed (members
   * the server closed count as losses at once); with `send`, first sends it on the control
   * connection ("id:time").
   */
  | { cmd: 'broadcast'; id: number; send: boolean; timeoutMs: number }
  /** Opens, and closes right after the handshake, `concurrency` connections at a time. */
  | { cmd: 'connects'; url: string; concurrency: number; warmupMs: number; durationMs: number }
  | { cmd: 'closeAll' };

export type FromClient =
  | { kind: 'ready' }
  | { kind: 'echo'; messages: number; seconds: number; p50: number; p99: number; errors: string[] }
  | { kind: 'opened'; open: number; failed: number; errors: string[] }
  | { kind: 'controlReady' }
  /** `expected`: members that were open when the connections were made; `lastMs`: send → last receipt. */
  | { kind: 'broadcast'; id: number; expected: number; received: number; lastMs: number | undefined; closedByServer: Record<string, number> }
  | { kind: 'connects'; completed: number; failed: number; seconds: number; errors: string[] }
  | { kind: 'closed' }
  | { kind: 'error'; message: string };

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A broadcast's text: which one, and when it was sent. */
export function broadcastText(id: number, sentAt: number): string {
  return `${id}:${sentAt.toFixed(3)}`;
}
