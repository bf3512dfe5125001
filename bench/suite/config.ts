/** Sizes and timings of the suite: `--quick` is one short run of each scenario (a smoke test). */
import { fileURLToPath } from 'node:url';

export const QUICK = process.argv.includes('--quick');

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The switchyard app, relative to ROOT (the CLI's working directory). */
export const APP = 'bench/apps/suite-app.ts';
export const PLAIN_SERVER = fileURLToPath(new URL('plain-server.ts', import.meta.url));
export const CLIENT = fileURLToPath(new URL('client.ts', import.meta.url));

export const SIZE = QUICK
  ? {
      runs: 1,
      warmupS: 1,
      httpS: 2,
      echoS: 2,
      broadcastMembers: 1_000,
      broadcasts: 5,
      idleConnections: 1_000,
      connectsS: 2,
      settleMs: 1_000,
    }
  : {
      runs: 3,
      warmupS: 2,
      httpS: 10,
      echoS: 10,
      broadcastMembers: 1_000,
      broadcasts: 20,
      idleConnections: 5_000,
      connectsS: 5,
      settleMs: 2_000,
    };

export const CONNECTIONS = 50;
export const THREADS = 2;
export const ECHO_BYTES = 32;
export const BROADCAST_WARMUPS = 2;
/** A broadcast not received by every member within this is counted with its losses. */
export const BROADCAST_TIMEOUT_MS = 5_000;
/** Concurrent handshakes while opening many connections (room members, idle connections). */
export const OPEN_CONCURRENCY = 50;
/** One scenario on one target, start to end, past which it is failed and its processes killed. */
export const SCENARIO_TIMEOUT_MS = 180_000;
