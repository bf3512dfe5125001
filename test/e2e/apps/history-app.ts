/**
 * A tiny app for the recovery tests: feeds with history, joined by every WebSocket on
 * `/ws/feed/:name`; a text a client sends goes to its feed as a broadcast.
 */
import { createApp } from 'switchyard';

const app = createApp();

app.history('feed.*', { size: 2000, maxAgeMs: 120_000 });

app.websocket('/ws/feed/:name', {
  async connect(ctx) {
    await ctx.groupAdd(`feed.${ctx.params.name}`, { info: { user: ctx.query.get('user') ?? 'anonymous' } });
    await ctx.accept();
  },
  async receive(ctx, message) {
    if (message.text !== undefined) await ctx.broadcast(`feed.${ctx.params.name}`, message.text);
  },
});

export default app;
