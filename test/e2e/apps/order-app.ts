/**
 * A tiny app for the ordering test: each message on /ws/order reads a counter from the
 * connection's state, waits a random 0–20 ms, stores counter + 1 and answers
 * `${text}:${counter}:${pid}`. Two workers handling one connection at once would read the same
 * counter (a lost update) or answer out of order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from 'switchyard';

const app = createApp();

app.websocket<{ count?: number }>('/ws/order', {
  async receive(ctx, message) {
    const before = ctx.state.count ?? 0;
    await sleep(Math.floor(Math.random() * 21));
    ctx.state.count = before + 1;
    await ctx.send(`${message.text ?? ''}:${ctx.state.count}:${process.pid}`);
  },
});

export default app;
