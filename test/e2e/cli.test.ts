/**
 * The `switchyard` command line: help texts name every flag with the environment variable
 * that stands in for it, and bad values end the process with a message naming the flag.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { QUICKSTART, killAll, randomPrefix, runSwitchyard } from '../helpers/processes.js';

/** Help output joined into one line per flag (commander wraps long descriptions). */
function unwrap(help: string): string {
  return help.replace(/\n\s{10,}/g, ' ');
}

/** A flag's help line (unwrapped) that names its environment variable. */
function flagWithEnv(flag: string, variable: string): RegExp {
  return new RegExp(`${flag} <[^>]+>[^\\n]*env: ${variable}\\)`);
}

describe('switchyard --help', () => {
  it('switchyard --help lists the commands', async () => {
    const { code, stdout } = await runSwitchyard(['--help']);
    expect(code).toBe(0);
    for (const command of ['dev', 'serve', 'worker', 'status']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('switchyard worker --help lists its flags with their environment variables', async () => {
    const { code, stdout } = await runSwitchyard(['worker', '--help']);
    expect(code).toBe(0);
    const help = unwrap(stdout);
    for (const [flag, variable] of [
      ['--redis', 'REDIS_URL'],
      ['--prefix', 'SWITCHYARD_PREFIX'],
      ['--log-level', 'SWITCHYARD_LOG_LEVEL'],
      ['--concurrency', 'SWITCHYARD_CONCURRENCY'],
      ['--timeout', 'SWITCHYARD_TIMEOUT_MS'],
      ['--drain-timeout', 'SWITCHYARD_DRAIN_TIMEOUT_MS'],
    ]) {
      expect(help).toMatch(flagWithEnv(flag!, variable!));
    }
    expect(help).not.toContain('--port');
  });

  it('switchyard serve --help lists its flags with their environment variables', async () => {
    const { code, stdout } = await runSwitchyard(['serve', '--help']);
    expect(code).toBe(0);
    const help = unwrap(stdout);
    for (const [flag, variable] of [
      ['--redis', 'REDIS_URL'],
      ['--prefix', 'SWITCHYARD_PREFIX'],
      ['--host', 'HOST'],
      ['--port', 'PORT'],
      ['--tls-cert', 'SWITCHYARD_TLS_CERT'],
      ['--tls-key', 'SWITCHYARD_TLS_KEY'],
      ['--response-timeout', 'SWITCHYARD_RESPONSE_TIMEOUT_MS'],
      ['--shutdown-timeout', 'SWITCHYARD_SHUTDOWN_TIMEOUT_MS'],
    ]) {
      expect(help).toMatch(flagWithEnv(flag!, variable!));
    }
    expect(help).not.toContain('--concurrency');
  });

  it('switchyard dev --help lists server and worker flags, and Redis only for durable channels', async () => {
    const { code, stdout } = await runSwitchyard(['dev', '--help']);
    expect(code).toBe(0);
    const help = unwrap(stdout);
    expect(help).toMatch(flagWithEnv('--port', 'PORT'));
    expect(help).toMatch(flagWithEnv('--concurrency', 'SWITCHYARD_CONCURRENCY'));
    expect(help).toMatch(/--redis <url>\s+Redis for durable channels only[^\n]*env: REDIS_URL\)/);
    expect(help).not.toContain('--prefix');
  });
});

describe('bad flag values', () => {
  let redis: RedisServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    env = { REDIS_URL: redis.url, SWITCHYARD_PREFIX: randomPrefix('cli') };
  });

  afterAll(async () => {
    await killAll();
    await redis?.stop();
  });

  it.each([
    ['serve', QUICKSTART, '--port', 'abc'],
    ['dev', QUICKSTART, '--port', 'abc'],
    ['worker', QUICKSTART, '--concurrency', 'abc'],
    ['worker', QUICKSTART, '--drain-timeout', '-1'],
    ['serve', QUICKSTART, '--response-timeout', '1.5'],
  ])('switchyard %s %s %s %s exits non-zero naming the flag', async (command, app, flag, value) => {
    const result = await runSwitchyard([command, app, flag, value], env);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain(flag);
    expect(result.stderr).toContain(value);
  });

  // Out-of-range values: refused by name, and the process exits (nothing it opened keeps it
  // alive). Concurrent: each one that hangs would cost the whole wait.
  it.concurrent.for<[string, string, string]>([
    ['worker', '--concurrency', '0'],
    ['worker', '--timeout', '0'],
    ['serve', '--port', '70000'],
    ['serve', '--response-timeout', '0'],
  ])('switchyard %s APP %s %s (out of range) exits non-zero instead of hanging', { timeout: 15_000 }, async ([command, flag, value], { expect }) => {
    const result = await runSwitchyard([command, QUICKSTART, flag, value], env, 8000);
    expect(result.stderr).toContain(flag);
    expect(result.stderr).toContain(`= ${value} (from ${flag}): expected a whole number`);
    expect(result.timedOut, `still running 8 s after printing: ${result.stderr.trim()}`).toBe(false);
    expect(result.code).not.toBe(0);
  });

  it.concurrent('switchyard serve APP on a port already in use exits non-zero instead of hanging', { timeout: 15_000 }, async ({ expect }) => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      const result = await runSwitchyard(['serve', QUICKSTART, '--port', String(port)], env, 8000);
      expect(result.stderr).toContain('EADDRINUSE');
      expect(result.timedOut, `still running 8 s after printing: ${result.stderr.trim()}`).toBe(false);
      expect(result.code).not.toBe(0);
    } finally {
      taken.close();
    }
  });

  it('dev on a port already in use says so before starting the worker', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      const result = await runSwitchyard(['dev', QUICKSTART, '--port', String(port)], {}, 8000);
      expect(result.timedOut).toBe(false);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
      expect(result.stdout + result.stderr).not.toContain('worker started');
    } finally {
      taken.close();
    }
  });

  it('an app that throws while loading: its message, then its stack pointing at its own file and line', async () => {
    const result = await runSwitchyard(['dev', 'test/e2e/apps/throws-on-load.ts', '--port', '0'], {}, 8000);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('switchyard: could not load test/e2e/apps/throws-on-load.ts: the database URL is missing');
    expect(result.stderr).toMatch(/throws-on-load\.ts:5:\d+/);
  });

  it('dev APP --concurrency 0 (out of range) exits non-zero', async () => {
    const result = await runSwitchyard(['dev', QUICKSTART, '--concurrency', '0']);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/concurrency/);
  });

  it('a bad value in an environment variable that stands in for a flag (PORT=abc) is refused naming it', async () => {
    const result = await runSwitchyard(['dev', QUICKSTART], { PORT: 'abc' }, 8000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\bPORT\b|--port/);
    expect(result.stderr).toContain('abc');
  });
});
