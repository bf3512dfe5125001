/**
 * An app for overload runs (issue 13, case 1): `GET /slow` takes 2 s of waiting (an upstream
 * call, say), `GET /fast` answers at once. Run one worker with `--concurrency 4` and load
 * /slow with far more than 2 requests a second.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, text } from '../../consumers/index.js';

const app = createApp();
app.get('/slow', async () => {
  await sleep(2000);
  return text('done');
});
app.get('/fast', () => text('fast'));
export default app;
