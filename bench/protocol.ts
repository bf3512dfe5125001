/** What the orchestrator (layer.ts) and its producer and consumer processes (worker.ts) share. */
import type { WireMessage } from '../channel-layer/index.js';

export type Role = 'producer' | 'consumer';
export type Scenario = 'baseline' | 'layer';

/**
 * One measured stretch: `count` messages, at most `window` of them sent but not yet received
 * (the consumer reports progress every `ackEvery` messages, relayed to the producer).
 */
export interface Phase {
  count: number;
  window: number;
  ackEvery: number;
}

export type ToWorker = { kind: 'run'; phase: Phase } | { kind: 'acked'; received: number } | { kind: 'exit' };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'acked'; received: number }
  | { kind: 'produced'; startedAt: number }
  | { kind: 'consumed'; lastAt: number; p50: number; p99: number };

/** Epoch ms with sub-ms resolution; comparable between processes of one machine, unlike performance.now(). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

const PAYLOAD = new Uint8Array(64);

/** The message both scenarios carry; `t` is its send time, for one-way latency. */
export function benchMessage(): WireMessage {
  return { type: 'bench', t: now(), payload: PAYLOAD };
}
