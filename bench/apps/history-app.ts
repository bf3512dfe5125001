/**
 * The group-history benchmark's app (bench/history.ts): every WebSocket on `/ws/:group` joins
 * that group; groups `hist.*` keep a history, `plain.*` do not.
 */
import { createApp } from 'switchyard';

const app = createApp();

app.history('hist.*', { size: 5000, maxAgeMs: 600_000 });

app.websocket('/ws/:group', {
  async connect(ctx) {
    await ctx.groupAdd(ctx.params.group!);
    await ctx.accept();
  },
});

export default app;
