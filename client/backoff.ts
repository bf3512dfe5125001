/**
 * How long to wait before reconnect attempt `attempt` (0 for the first): exponential, capped,
 * with full jitter, so that clients dropped together (a server restarted) do not all come back
 * in the same instant.
 */
export function reconnectDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(minMs / 2 + random() * (ceiling - minMs / 2));
}

/**
 * Close codes after which trying again would fail the same way: the app closed on purpose
 * (1000, or its own 3000–4999) or refused what this client sent. Any other (going away 1001,
 * abnormal 1006, server error 1011, restart 1012, try again 1013) is worth a reconnect.
 */
export function worthReconnecting(code: number): boolean {
  if (code === 1000 || (code >= 3000 && code <= 4999)) return false;
  return ![1002, 1003, 1007, 1008, 1009, 1010].includes(code);
}
