/**
 * Failures of a plain Node `(req, res)` handler that the app does not handle itself. Served
 * directly by node:http each of these would crash the process (an uncaught exception, an
 * unhandled rejection), so there is no direct baseline: through switchyard each must be the
 * adapter's 500 (or, once the response has started, a cut-off response, never a short body
 * passed off as whole), with a log line naming the route, and the worker goes on serving.
 * (The frameworks' own error handling, e.g. Express's 500 page, is compared in corpus.test.ts.)
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { closeClient, headerValues, PLAIN_ROUTE, send, startTargets, TOPOLOGIES, type Targets } from './harness.js';

let targets: Targets;

beforeAll(async () => {
  targets = await startTargets();
});

afterAll(async () => {
  closeClient();
  await targets?.close();
});

describe.concurrent.each(TOPOLOGIES)('a plain (req, res) handler through switchyard %s', (topology) => {
  const base = (): string => targets.switchyard(topology);

  /** The consumers' process logged the failure, naming the route and the error. */
  const loggedFailure = (message: string) =>
    targets.consumers(topology).waitForLog(
      (line) => line.consumer === PLAIN_ROUTE && typeof line.msg === 'string' && line.msg.includes(PLAIN_ROUTE) && line.msg.includes(message),
      `an error line naming ${PLAIN_ROUTE} and "${message}"`,
      5_000,
    );

  it('answers normally (the mount works)', async ({ expect }) => {
    const res = await send(base(), { path: '/plain/ok' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('plain ok');
  });

  it.for([
    ['a synchronous throw', '/plain/sync-error', 'sync plain failure'],
    ['a rejected promise', '/plain/async-error', 'async plain failure'],
  ])('%s is the adapter’s 500 and a log line naming the route', async ([, path, message], { expect }) => {
    const res = await send(base(), { path: path! });
    expect(res.status).toBe(500);
    expect(headerValues(res, 'content-type')).toEqual(['text/plain; charset=utf-8']);
    expect(res.body.toString()).toBe('internal server error\n');
    const line = await loggedFailure(message!);
    expect(line.level).toBe(50); // pino's error, not fatal: the worker goes on serving
    // The worker is still there and serving.
    expect((await send(base(), { path: '/plain/ok' })).status).toBe(200);
  });

  it('a rejection after the response started cuts the response off (never a clean end) and logs the route', async ({ expect }) => {
    await expect(send(base(), { path: '/plain/mid-stream-error' })).rejects.toThrow(/cut off|ECONNRESET|socket hang up|aborted/);
    await loggedFailure('mid-stream plain failure');
    expect((await send(base(), { path: '/plain/ok' })).status).toBe(200);
  });
});
