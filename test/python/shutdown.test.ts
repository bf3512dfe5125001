import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, randomPrefix, startServeAlone, type Listening } from '../helpers/processes.js';
import { startPythonWorker, type PythonWorker } from '../helpers/python-worker.js';
import { RedisServer } from '../helpers/redis-server.js';

/**
 * A Python worker told to stop (SIGTERM) while it keeps a WebSocket connection (`events_to`):
 * the client hears 1001 (going away) at once, free to reconnect to another worker, and the worker
 * exits once its app saw the disconnect.
 */
describe('the Python worker stopping with connections it keeps', () => {
  let redis: RedisServer;
  let server: Listening;
  let worker: PythonWorker;
  beforeAll(async () => {
    redis = await RedisServer.start();
    const layer = { redisUrl: redis.url, prefix: randomPrefix('pyshutdown') };
    server = await startServeAlone(layer);
    worker = await startPythonWorker('conformance_app:app', layer);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await killAll();
    await redis?.stop();
  });

  it('closes them with 1001 and exits', async () => {
    const ws = new WebSocket(`${server.wsUrl}/ws/echo`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('still there?');
    expect(await echoed).toBe('echo: still there?');
    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    worker.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await exited).toBe(0);
  });
});
