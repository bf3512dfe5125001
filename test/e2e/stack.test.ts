import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../helpers/redis-server.js';
import { killAll, QUICKSTART, randomPrefix, ROOT, runSwitchyard, startServe } from '../helpers/processes.js';

describe('npm run stack: the compose topology as local processes', () => {
  let stack: ChildProcess | undefined;
  const lines: string[] = [];

  afterAll(() => {
    if (stack?.exitCode === null) stack.kill('SIGKILL');
  });

  it('brings up redis, a server and two workers, serves traffic, and stops them all', async () => {
    const admin = await freePort();
    stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--workers', '2', '--port', '0', '--admin-port', String(admin)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = new Promise<string>((resolve, reject) => {
      stack!.once('exit', (code) => reject(new Error(`the stack exited (${code}):\n${lines.join('\n')}`)));
      createInterface({ input: stack!.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('| ready: ')) resolve(line);
      });
    });
    const line = await ready;
    const [, url, redisUrl] = /ready: (http:\/\/\S+) \(admin \S+, redis (\S+), prefix stack/.exec(line) ?? [];
    expect(url, line).toBeDefined();

    const hello = await fetch(`${url}/hello`);
    expect([hello.status, await hello.text()]).toEqual([200, 'hello']);
    expect((await fetch(`http://127.0.0.1:${admin}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${admin}/readyz`)).json()).toEqual({ ready: true });

    const status = await runSwitchyard(['status', '--redis', redisUrl!, '--prefix', 'stack', '--json'], {});
    expect(JSON.parse(status.stdout).alive).toEqual({ server: 1, worker: 2 });

    stack.kill('SIGTERM');
    const [code] = await once(stack, 'exit');
    expect(code).toBe(0);
    await expect(fetch(`${url}/hello`)).rejects.toThrow(); // nothing listens any more
    expect(lines.some((l) => l.startsWith('redis') && l.includes('bye'))).toBe(true);
  }, 60_000);
});

describe('admin endpoints', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await killAll();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('report not ready while Redis is away and ready again when it is back', async () => {
    const admin = await freePort();
    await startServe(QUICKSTART, { redisUrl: redis.url, prefix: randomPrefix('admin') }, ['--admin-port', String(admin)]);
    const readyz = async (): Promise<[number, unknown]> => {
      const res = await fetch(`http://127.0.0.1:${admin}/readyz`);
      return [res.status, await res.json()];
    };
    expect(await readyz()).toEqual([200, { ready: true }]);
    await redis.kill();
    await expect.poll(readyz, { timeout: 10_000 }).toEqual([503, { ready: false, reason: 'channel layer unavailable' }]);
    expect((await fetch(`http://127.0.0.1:${admin}/healthz`)).status).toBe(200); // alive all the same
    await redis.start();
    await expect.poll(readyz, { timeout: 15_000 }).toEqual([200, { ready: true }]);
  }, 40_000);

  it('refuses a bad admin port by name', async () => {
    const result = await runSwitchyard(['worker', QUICKSTART, '--admin-port', '99999'], { REDIS_URL: redis.url });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('invalid setting admin.port = 99999 (from --admin-port): expected a whole number from 0 to 65535');
  });
});
