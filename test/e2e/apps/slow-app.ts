/**
 * A tiny app for the failover tests: a route that keeps its request for a while, so a test can
 * have a request in a worker's hands when it kills or stops that worker.
 *
 *     GET /slow?ms=N&id=X   logs "slow request started" (with id), sleeps N ms, answers 200
 *     GET /pid              the worker's process id
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, text } from 'switchyard';

const app = createApp();

app.get('/slow', async (request, ctx) => {
  const ms = Number(request.query.get('ms') ?? '1000');
  const id = request.query.get('id') ?? '';
  ctx.log.info({ id, ms }, 'slow request started');
  await sleep(ms);
  return text(`slept ${ms} in ${process.pid}`);
});

app.get('/pid', () => text(String(process.pid)));

export default app;
