/**
 * Where a layer reads the time (ms since the epoch): message send times and their expiry,
 * heartbeats and their timeout. `Date.now` in production; tests pass a clock they move, so
 * expiry and heartbeat cases run without waiting for them.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
