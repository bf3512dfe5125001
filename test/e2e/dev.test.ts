/**
 * `switchyard dev`: the interface server and a worker in one process on the in-memory layer,
 * no Redis (no REDIS_URL in its environment), serving the same quickstart flows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICKSTART, killAll, startDev, type Listening } from '../helpers/processes.js';
import { handshake } from '../helpers/limits-clients.js';
import { chat, chatPage, echoBody, hello, websocketEcho } from './quickstart-flows.js';

describe('switchyard dev (one process, in-memory layer)', () => {
  let dev: Listening;

  beforeAll(async () => {
    dev = await startDev(QUICKSTART);
  });

  afterAll(async () => {
    await killAll();
  });

  it('GET / is the chat page', () => chatPage(dev));

  it('GET /hello answers 200 "hello"', () => hello(dev));

  it('POST /echo streams a 200 KiB random body back byte for byte', () => echoBody(dev));

  it('WebSocket /ws/echo echoes text and binary frames', () => websocketEcho(dev));

  it('chat between two clients of one room, none to another room', () => chat(dev));

  it('takes WebSockets from pages on this machine at any port (a front-end dev server), refuses other sites', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080']) {
      const result = await handshake(`${dev.wsUrl}/ws/echo`, { origin });
      expect(result.kind, origin).toBe('open');
      if (result.kind === 'open') result.ws.close();
    }
    expect(await handshake(`${dev.wsUrl}/ws/echo`, { origin: 'https://evil.example.com' })).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await dev.proc.stop()).toEqual({ code: 0, signal: null });
    expect(dev.proc.logs.some((line) => line.msg === 'worker stopped')).toBe(true);
  });
});
