/**
 * An app whose only consumer is one durable channel (no routes, no ordinary channels), the
 * shape of a background-jobs-only worker. `thumbs` records each run under `<prefix>:rec`.
 */
import { Redis } from 'ioredis';
import { createApp } from 'switchyard';

const rec = `${process.env.SWITCHYARD_PREFIX ?? 'switchyard'}:rec`;
let client: Redis | undefined;

const app = createApp();

app.channel(
  'thumbs',
  async (message) => {
    client ??= new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    await client.hincrby(`${rec}:exec:thumbs`, String(message.marker), 1);
  },
  { durable: true },
);

app.onShutdown(async () => {
  await client?.quit();
});

export default app;
