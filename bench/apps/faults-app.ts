/**
 * The app of the fault suite (bench/faults.ts, `npm run faults`):
 *
 * - `GET /slow`: 2 s of waiting, then 200 (overload: run one worker with `--concurrency 4`);
 * - `GET /fast`: 200 at once;
 * - `POST /upload-slow`: reads the body a chunk every 50 ms, answers its size;
 * - `/ws/echo`: echoes each frame;
 * - `/ws/room`: joins the group `room` on connect, leaves it on disconnect.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, text } from '../../consumers/index.js';

const app = createApp();

app.get('/slow', async () => {
  await sleep(2000);
  return text('done');
});

app.get('/fast', () => text('fast'));

app.post('/upload-slow', async (request) => {
  let bytes = 0;
  for await (const chunk of request.stream()) {
    bytes += chunk.length;
    await sleep(50);
  }
  return text(`got ${bytes} bytes`);
});

app.websocket('/ws/echo', {
  receive: (ctx, message) => ctx.send(message.text ?? message.bytes!),
});

app.websocket('/ws/room', {
  async connect(ctx) {
    await ctx.groupAdd('room');
    await ctx.accept();
  },
  async disconnect(ctx) {
    await ctx.groupDiscard('room');
  },
});

export default app;
