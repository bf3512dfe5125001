import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisSentinel, type RedisSentinel } from '../helpers/redis-cluster.js';
import { killAll, QUICKSTART, randomPrefix, runSwitchyard, startServe, startWorker } from '../helpers/processes.js';

/**
 * `serve`, `worker` and `status` on a primary that Sentinel watches over (1 primary, 1 replica,
 * 3 sentinels of the test's own), as real processes, and the primary killed under traffic.
 */
/** The data nodes let only this user touch keys: every process here logs in as it. */
const APP_USER = { name: 'app', password: 'sentinel-s3cret' };
const APP_URL = `redis://${APP_USER.name}:${APP_USER.password}@127.0.0.1`;
/** The sentinels require a password of their own. */
const SENTINEL_PASSWORD = 'sentinels-s3cret';

describe('switchyard on Redis Sentinel', () => {
  let sentinel: RedisSentinel;
  beforeAll(async () => {
    sentinel = await startRedisSentinel({ appUser: APP_USER, sentinelPassword: SENTINEL_PASSWORD });
  }, 60_000);
  afterEach(async () => {
    await killAll();
  });
  afterAll(async () => {
    await sentinel?.stop();
  });

  it('serve, worker and status take --redis-sentinels; a killed primary costs 503s (or a 504 for a request in flight), never a hang, until the promoted replica serves again', async () => {
    const layer = { redisUrl: APP_URL, prefix: randomPrefix('sentinel') }; // the URL's host is not used: its user and password are
    const flags = ['--redis-sentinels', sentinel.sentinels, '--redis-master', sentinel.masterName, '--redis-sentinel-password', SENTINEL_PASSWORD];
    const server = await startServe(QUICKSTART, layer, [...flags, '--response-timeout', '3000']);
    await startWorker(QUICKSTART, layer, flags);
    expect((await fetch(`${server.url}/hello`)).status).toBe(200);

    const status = await runSwitchyard(['status', '--json', ...flags], { SWITCHYARD_PREFIX: layer.prefix, REDIS_URL: APP_URL });
    expect(status.code, status.stderr).toBe(0);
    for (const output of [server.proc.output, status.stdout, status.stderr]) for (const secret of [APP_USER.password, SENTINEL_PASSWORD]) expect(output).not.toContain(secret);
    expect(JSON.parse(status.stdout).alive).toEqual({ server: 1, worker: 1 });

    const killed = sentinel.primary.port;
    const failover = (async () => {
      await sentinel.kill(killed);
      await sentinel.waitForFailover();
    })();
    const seen = new Map<number, number>();
    let okInARow = 0;
    for (let tries = 0; okInARow < 20; tries++) {
      if (tries > 2000) throw new Error(`no steady 200s after the failover; statuses so far: ${JSON.stringify([...seen])}`);
      // Bounded: an answer must come well within the response timeout's 3 s.
      const response = await fetch(`${server.url}/hello`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
      okInARow = response.status === 200 ? okInARow + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await failover;
    expect(sentinel.primary.port).not.toBe(killed);
    expect([...seen.keys()].filter((code) => ![200, 503, 504].includes(code))).toEqual([]);
    expect((seen.get(503) ?? 0) + (seen.get(504) ?? 0), `statuses: ${JSON.stringify([...seen])}`).toBeGreaterThan(0); // the outage was met
  }, 90_000);
});
