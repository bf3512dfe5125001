/**
 * The config file, end to end: real `switchyard` processes given `--config FILE` (or
 * `SWITCHYARD_CONFIG=FILE`) serve with its settings, flags and environment variables beat it,
 * and a bad file stops the command before it starts anything, naming the setting.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/limits-clients.js';
import { QUICKSTART, SwitchyardProcess, childEnv, killAll, randomPrefix, runSwitchyard, startDev, type Listening } from '../helpers/processes.js';
import { RedisServer, freePort } from '../helpers/redis-server.js';
import { WsClient } from './ws-client.js';

let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-config-e2e-'));
});

afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a config file (an object as JSON, a string as it is) in a folder of its own. */
function configFile(content: unknown): { file: string; folder: string } {
  const folder = join(dir, `conf${++fileCount}`);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'switchyard.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return { file, folder };
}

/** The port of a process's "listening on http://HOST:PORT" line. */
async function listeningPort(proc: SwitchyardProcess): Promise<number> {
  const line = await proc.waitForMessage(/^listening on http:\/\//);
  const match = /:(\d+)$/.exec(line.msg);
  if (match === null) throw new Error(`no port in ${JSON.stringify(line.msg)}`);
  return Number(match[1]);
}

/** `switchyard dev QUICKSTART …args` without the `--port 0` of startDev, in an environment with `env`. */
function dev(args: string[], env: Record<string, string> = {}): SwitchyardProcess {
  return new SwitchyardProcess(['dev', QUICKSTART, '--log-format', 'json', ...args], childEnv(env));
}

/** A WebSocket handshake's refusal status (or "open" if it was accepted). */
function handshakeStatus(url: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

describe('switchyard dev --config: server settings from the file', () => {
  let server: Listening;

  beforeAll(async () => {
    const { file, folder } = configFile({
      server: {
        limits: { maxBodyBytes: 1024 },
        websocket: { perMessageDeflate: true },
        // Relative to the file's folder, not to the process's working directory (the repository).
        static: [{ prefix: '/files', dir: './public' }],
      },
    });
    mkdirSync(join(folder, 'public'));
    writeFileSync(join(folder, 'public', 'note.txt'), 'from the config folder\n');
    server = await startDev(QUICKSTART, ['--config', file]);
  });

  afterAll(async () => {
    await killAll();
  });

  it('server.limits.maxBodyBytes: a body over it gets 413, one within it is echoed', async () => {
    const big = await request(server.url, '/echo', { method: 'POST', body: Buffer.alloc(2048, 'x') });
    expect(big.status).toBe(413);
    expect(big.text).toBe('request body too large\n');
    const small = await request(server.url, '/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(1000, 'y') });
    expect(small.status).toBe(200);
    expect(small.text).toBe('y'.repeat(1000));
  });

  it('server.limits.maxBodyBytes applies to fetch clients too', async () => {
    const fits = await fetch(`${server.url}/echo`, { method: 'POST', body: 'z'.repeat(1024), headers: { 'content-type': 'text/plain' } });
    expect(fits.status).toBe(200);
    expect(await fits.text()).toBe('z'.repeat(1024));
    const over = await fetch(`${server.url}/echo`, { method: 'POST', body: 'z'.repeat(1025), headers: { 'content-type': 'text/plain' } });
    expect(over.status).toBe(413);
    await over.arrayBuffer();
  });

  it('server.websocket.perMessageDeflate: the echo WebSocket negotiates permessage-deflate', async () => {
    const client = await WsClient.open(`${server.wsUrl}/ws/echo`);
    try {
      expect(client.socket.extensions).toContain('permessage-deflate');
      await client.send('compressed hello '.repeat(20));
      const [echo] = await client.waitForMessages(1);
      expect(echo!.text).toBe('compressed hello '.repeat(20));
    } finally {
      await client.close();
    }
  });

  it("server.static[].dir is read relative to the config file's folder", async () => {
    const response = await fetch(`${server.url}/files/note.txt`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('from the config folder\n');
  });

  it("the app's own routes and static folder still work alongside", async () => {
    const hello = await fetch(`${server.url}/hello`);
    expect(await hello.text()).toBe('hello');
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    await page.arrayBuffer();
  });
});

describe('switchyard dev --config: server.allowedHosts from the file', () => {
  let server: Listening;

  beforeAll(async () => {
    const { file } = configFile({ server: { allowedHosts: ['app.test', '.example.test'] } });
    server = await startDev(QUICKSTART, ['--config', file]);
  });

  afterAll(async () => {
    await killAll();
  });

  it('accepts the listed hosts (exact, and a domain with its subdomains)', async () => {
    for (const host of ['app.test', `app.test:${server.port}`, 'example.test', 'api.example.test']) {
      const res = await request(server.url, '/hello', { headers: { host } });
      expect(res.status, host).toBe(200);
      expect(res.text).toBe('hello');
    }
  });

  it('refuses any other Host with 400', async () => {
    for (const host of ['evil.test', 'app.test.evil', `127.0.0.1:${server.port}`]) {
      const res = await request(server.url, '/hello', { headers: { host } });
      expect(res.status, host).toBe(400);
      expect(res.text).toBe('invalid Host header\n');
    }
    const viaFetch = await fetch(`${server.url}/hello`);
    expect(viaFetch.status).toBe(400);
    await viaFetch.arrayBuffer();
  });

  it('refuses a WebSocket handshake with another Host with 400, accepts a listed one', async () => {
    expect(await handshakeStatus(`${server.wsUrl}/ws/echo`, { host: 'evil.test' })).toBe(400);
    expect(await handshakeStatus(`${server.wsUrl}/ws/echo`, { host: 'app.test' })).toBe('open');
  });
});

describe('precedence in a real process', () => {
  afterEach(async () => {
    await killAll();
  });

  it("--port beats the file's server.port", async () => {
    const [filePort, flagPort] = [await freePort(), await freePort()];
    const { file } = configFile({ server: { port: filePort } });
    const proc = dev(['--config', file, '--port', String(flagPort)]);
    expect(await listeningPort(proc)).toBe(flagPort);
    const response = await fetch(`http://127.0.0.1:${flagPort}/hello`);
    expect(await response.text()).toBe('hello');
  });

  it('SWITCHYARD_CONFIG is read as the config file', async () => {
    const filePort = await freePort();
    const { file } = configFile({ server: { port: filePort, limits: { maxBodyBytes: 100 } } });
    const proc = dev([], { SWITCHYARD_CONFIG: file });
    expect(await listeningPort(proc)).toBe(filePort);
    const url = `http://127.0.0.1:${filePort}`;
    expect((await request(url, '/echo', { method: 'POST', body: 'x'.repeat(101) })).status).toBe(413);
    expect((await request(url, '/echo', { method: 'POST', body: 'x'.repeat(100) })).status).toBe(200);
  });

  it("PORT beats SWITCHYARD_CONFIG's server.port; an empty SWITCHYARD_LOG_LEVEL leaves the file's log.level", async () => {
    const [filePort, envPort] = [await freePort(), await freePort()];
    const { file } = configFile({ server: { port: filePort }, log: { level: 'debug' } });
    const proc = dev([], { SWITCHYARD_CONFIG: file, PORT: String(envPort), SWITCHYARD_LOG_LEVEL: '' });
    expect(await listeningPort(proc)).toBe(envPort);
    // At debug the server logs "websocket open" (pino level 20); at the default (info) it would not.
    const client = await WsClient.open(`ws://127.0.0.1:${envPort}/ws/echo`);
    await client.close();
    const line = await proc.waitForMessage('websocket open');
    expect(line.level).toBe(20);
  });
});

describe('a bad config file stops the command before it starts', () => {
  afterEach(async () => {
    await killAll();
  });

  it('switchyard dev APP --config bad.json exits 1 naming each bad setting and the file', async () => {
    const { file } = configFile({ worker: { concurrency: 0 }, server: { limits: { maxBodyByte: 1024 } } });
    const result = await runSwitchyard(['dev', QUICKSTART, '--config', file], {}, 10_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^switchyard: /);
    expect(result.stderr).toContain(`invalid setting worker.concurrency = 0 (in ${file}): expected a whole number ≥ 1`);
    expect(result.stderr).toContain(`unknown setting server.limits.maxBodyByte in ${file} (known here: `);
    expect(result.stdout).not.toContain('listening on');
  });

  it('a bad value from a flag is named with the flag even when a file is given', async () => {
    const { file } = configFile({ server: { port: 8123 } });
    const result = await runSwitchyard(['dev', QUICKSTART, '--config', file, '--port', '70000'], {}, 10_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('switchyard: invalid setting server.port = 70000 (from --port): expected a whole number from 0 to 65535');
  });

  it('serve and worker refuse a bad SWITCHYARD_CONFIG before touching Redis', async () => {
    const { file } = configFile({ layer: { heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 5000 }, redis: { url: 'redis://127.0.0.1:1' } });
    for (const command of ['serve', 'worker']) {
      const result = await runSwitchyard([command, QUICKSTART], { SWITCHYARD_CONFIG: file }, 10_000);
      expect(result.timedOut, command).toBe(false);
      expect(result.code, command).toBe(1);
      expect(result.stderr, command).toContain(`switchyard: invalid setting layer.heartbeatTimeoutMs = 5000 (in ${file}): must exceed layer.heartbeatIntervalMs`);
      expect(result.stderr, command).not.toContain('ECONNREFUSED');
    }
  });

  it('a config file that is not JSON, or is missing, exits 1 saying so', async () => {
    const { file } = configFile('{ "server": { "port": 8000, } }');
    const invalid = await runSwitchyard(['dev', QUICKSTART, '--config', file], {}, 10_000);
    expect(invalid.timedOut).toBe(false);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(`switchyard: the config file ${file} is not valid JSON: `);
    const missing = join(dir, 'missing.json');
    const absent = await runSwitchyard(['dev', QUICKSTART, '--config', missing], {}, 10_000);
    expect(absent.timedOut).toBe(false);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain(`switchyard: cannot read the config file ${missing}: `);
  });
});

describe('switchyard status --config', () => {
  let redis: RedisServer | undefined;

  afterAll(async () => {
    await redis?.stop();
  });

  it("fails naming the file's unreachable Redis URL", async () => {
    const { file } = configFile({ redis: { url: 'redis://127.0.0.1:1', prefix: 'nowhere' } });
    const result = await runSwitchyard(['status', '--config', file], {}, 10_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('switchyard: cannot read redis://127.0.0.1:1');
  });

  it("--redis beats the file's URL; the file's other sections (meant for other commands) are accepted", async () => {
    redis = await RedisServer.start();
    const { file } = configFile({
      redis: { url: 'redis://127.0.0.1:1', prefix: randomPrefix('config') },
      server: { port: 8123, limits: { maxBodyBytes: 1024 } },
      worker: { concurrency: 2 },
      log: { level: 'warn' },
    });
    const result = await runSwitchyard(['status', '--json', '--config', file, '--redis', redis.url], {}, 10_000);
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const snapshot = JSON.parse(result.stdout) as { channels: unknown[]; processes: unknown[]; durable: unknown[] };
    expect(snapshot.channels).toEqual([]);
    expect(snapshot.processes).toEqual([]);
    expect(snapshot.durable).toEqual([]);
  });
});
