import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, killAll, QUICKSTART, runSwitchyard, startServe, startWorker, SwitchyardProcess } from '../helpers/processes.js';
import { freePort, RedisServer } from '../helpers/redis-server.js';

// Issue 13, case 7: a Redis password must not reach any output, whatever goes wrong.
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

describe('a Redis password never appears in what switchyard prints', () => {
  let redis: RedisServer;
  let unreachable: string;

  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
    unreachable = `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`;
  });
  afterEach(killAll);
  afterAll(() => redis.stop());

  it('serve, worker and dev facing an unreachable Redis say so with the URL masked', async () => {
    const env = childEnv({ REDIS_URL: unreachable });
    const serve = new SwitchyardProcess(['serve', QUICKSTART, '--port', '0'], env);
    const worker = new SwitchyardProcess(['worker', QUICKSTART], env);
    const dev = new SwitchyardProcess(['dev', QUICKSTART, '--port', '0', '--log-format', 'json', '--redis', unreachable], childEnv());
    const warned = await Promise.all([
      serve.waitForMessage(/Redis not reachable/),
      worker.waitForMessage('waiting for Redis'),
    ]);
    for (const line of warned) expect(line.redis).toMatch(/^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+$/);
    await dev.waitForMessage(/^listening on /);
    await Promise.all([serve.stop(), worker.stop(), dev.stop()]);
    for (const proc of [serve, worker, dev]) expect(proc.output).not.toContain(PASSWORD);
  });

  it('status: unreachable, refused, mistyped and working URLs, in text and JSON', async () => {
    const runs = await Promise.all([
      runSwitchyard(['status', '--redis', unreachable]),
      runSwitchyard(['status', '--redis', `redis://:${PASSWORD}-wrong@127.0.0.1:${redis.port}`]),
      runSwitchyard(['status', '--redis', `redis://:${PASSWORD}@127.0.0.1:notaport`]),
      runSwitchyard(['status'], { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:notaport` }),
      runSwitchyard(['status', '--redis', redis.url]),
      runSwitchyard(['status', '--json', '--redis', redis.url]),
    ]);
    const [down, refused, mistyped, mistypedEnv, working, json] = runs;
    for (const run of runs) {
      expect(run.timedOut).toBe(false);
      expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    }
    for (const failed of [down!, refused!, mistyped!, mistypedEnv!]) expect(failed.code).not.toBe(0);
    expect(down!.stderr).toContain('redis://:***@127.0.0.1:');
    expect(mistyped!.stderr).toMatch(/invalid setting redis\.url = "redis:\/\/\*\*\*@127\.0\.0\.1:notaport"/);
    expect(working!.code).toBe(0);
    expect(json!.code).toBe(0);
  });

  it('serve and worker on the protected Redis answer requests and print nothing of the password', async () => {
    const layer = { redisUrl: redis.url, prefix: `secrets-${randomBytes(3).toString('hex')}` };
    const worker = await startWorker(QUICKSTART, layer);
    const { proc: serve, url } = await startServe(QUICKSTART, layer);
    expect((await fetch(`${url}/hello`)).status).toBe(200);
    await Promise.all([serve.stop(), worker.stop()]);
    for (const proc of [serve, worker]) expect(proc.output).not.toContain(PASSWORD);
  });
});
