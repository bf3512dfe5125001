import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, randomPrefix, startServeAlone, type Listening } from '../helpers/processes.js';
import { startPythonWorker, type PythonWorker } from '../helpers/python-worker.js';
import { RedisServer } from '../helpers/redis-server.js';

/**
 * A real Django project (Debian's python3-django) through its own ASGI handler, run by the
 * Python worker behind a real `switchyard serve`. Django's handler refuses the lifespan scope:
 * the worker goes on without it, as ASGI allows.
 */
describe('an ASGI app (Django) as a switchyard worker in Python', () => {
  let redis: RedisServer;
  let server: Listening;
  let worker: PythonWorker;
  beforeAll(async () => {
    redis = await RedisServer.start();
    const layer = { redisUrl: redis.url, prefix: randomPrefix('django') };
    server = await startServeAlone(layer);
    worker = await startPythonWorker('djangoapp.asgi:application', layer);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await killAll();
    await redis?.stop();
  });

  it('answers through the URLconf, with the query string', async () => {
    const response = await fetch(`${server.url}/hello?name=pony`);
    expect([response.status, await response.text()]).toEqual([200, 'hello from django pony']);
  });

  it('hands a POST body to the view byte for byte, a large one streamed in', async () => {
    const body = Buffer.alloc(200_000, 'django');
    const response = await fetch(`${server.url}/echo`, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-method')).toBe('POST');
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
  });

  it("answers Django's own 404 and 500", async () => {
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${server.url}/boom`)).status).toBe(500);
  });

  it('went on without lifespan, saying so', () => {
    expect(worker.output()).toContain('does not run lifespan');
  });
});
