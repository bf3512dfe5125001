import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RedisLayer } from '../../channel-layer/index.js';
import { createApp, durableSender, Worker } from '../../consumers/index.js';
import { freePort, RedisServer } from '../helpers/redis-server.js';
import { killAll, QUICKSTART, randomPrefix, runSwitchyard, startServe, startWorker } from '../helpers/processes.js';

/** One sample's value from Prometheus text, by metric name and labels as written. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics on the admin port', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await killAll();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('count requests, worker waits, open WebSockets and messages taken, truly', async () => {
    const layer = { redisUrl: redis.url, prefix: randomPrefix('metrics') };
    const [serverAdmin, workerAdmin] = [await freePort(), await freePort()];
    const server = await startServe(QUICKSTART, layer, ['--admin-port', String(serverAdmin)]);
    await startWorker(QUICKSTART, layer, ['--admin-port', String(workerAdmin)]);
    for (let i = 0; i < 7; i++) expect((await fetch(`${server.url}/hello`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const sockets = await Promise.all([0, 1].map(() => new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(`${server.wsUrl}/ws/echo`);
      ws.once('open', () => resolve(ws));
    })));

    const scrape = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // /ws/echo has no connect consumer: the server accepts at once, and the connect events reach
    // the worker as ordinary first events, answered with a done each (no accept).
    await expect.poll(async () => sample(await scrape(serverAdmin), 'switchyard_server_messages_total{channel="websocket",direction="in"}')).toBe(2);
    const fromServer = await scrape(serverAdmin);
    expect(sample(fromServer, 'switchyard_http_requests_total{protocol="http1",code="200"}')).toBe(7);
    expect(sample(fromServer, 'switchyard_http_requests_total{protocol="http1",code="404"}')).toBe(1);
    expect(sample(fromServer, 'switchyard_http_worker_wait_seconds_count{protocol="http1"}')).toBe(8);
    expect(sample(fromServer, 'switchyard_websocket_connections')).toBe(2);
    expect(sample(fromServer, 'switchyard_layer_dropped_messages_total{reason="expired"}')).toBe(0);
    // Each request out, its whole response back (one http.response); each connect out, its done back.
    expect(sample(fromServer, 'switchyard_server_messages_total{channel="http.request",direction="out"}')).toBe(8);
    expect(sample(fromServer, 'switchyard_server_messages_total{channel="http.request",direction="in"}')).toBe(8);
    expect(sample(fromServer, 'switchyard_server_messages_total{channel="websocket",direction="out"}')).toBe(2);
    expect(sample(fromServer, 'switchyard_server_messages_total{channel="websocket",direction="in"}')).toBe(2);

    const fromWorker = await scrape(workerAdmin);
    expect(sample(fromWorker, 'switchyard_worker_messages_total{channel="http.request"}')).toBe(8);
    expect(sample(fromWorker, 'switchyard_worker_messages_total{channel="websocket"}')).toBe(2); // two connects
    expect(sample(fromWorker, 'switchyard_worker_busy_ratio')).toBe(0);
    expect(sample(fromWorker, 'switchyard_worker_messages_sent_total{to="reply"}')).toBe(10);
    // Node's own metrics under the names stock dashboards query.
    for (const text of [fromServer, fromWorker]) {
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
      expect(text).not.toContain('switchyard_process_');
    }
    for (const ws of sockets) ws.close();
  }, 30_000);

  it('count what consumers send: app channels by name (durable ones too), replies, groups, the rest as "other"', async () => {
    const prefix = randomPrefix('sent-metrics');
    const config = { url: redis.url, prefix };
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const app = createApp()
      .channel('mail', () => {}, { durable: { attempts: 1 } })
      .channel('audit', () => {})
      .channel('jobs', async (_message, ctx) => {
        await ctx.send('mail', { type: 'mail.send' }, { delayMs: 60_000 });
        await ctx.send('audit', { type: 'audit.entry' });
        await ctx.send('audit', { type: 'audit.entry' });
        await ctx.send(`made.up.${Date.now()}`, { type: 'x' });
        await ctx.groupSend('room.1', { type: 'chat.message' });
        done();
      });
    const layer = new RedisLayer({ url: redis.url, prefix });
    const registry = new Registry();
    const worker = new Worker(app, layer, { durable: config, metrics: registry });
    try {
      await layer.waitUntilReady(5_000);
      await worker.start();
      await layer.send('jobs', { type: 'job' });
      await finished;
      const text = await registry.metrics();
      expect(sample(text, 'switchyard_worker_messages_sent_total{to="mail"}')).toBe(1);
      expect(sample(text, 'switchyard_worker_messages_sent_total{to="audit"}')).toBe(2);
      expect(sample(text, 'switchyard_worker_messages_sent_total{to="other"}')).toBe(1);
      expect(sample(text, 'switchyard_worker_messages_sent_total{to="group"}')).toBe(1);
      expect(text).not.toContain('made.up');
    } finally {
      await worker.stop();
      await layer.close();
    }
  });

  it('status counts a server and a worker as alive before any traffic', async () => {
    const layer = { redisUrl: redis.url, prefix: randomPrefix('alive') };
    await startServe(QUICKSTART, layer);
    await startWorker(QUICKSTART, layer);
    const status = await runSwitchyard(['status', '--json'], { REDIS_URL: redis.url, SWITCHYARD_PREFIX: layer.prefix });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).alive).toEqual({ server: 1, worker: 1 });
  }, 30_000);

  it('report durable queue counts by state', async () => {
    const prefix = randomPrefix('durable-metrics');
    const config = { url: redis.url, prefix };
    const app = createApp().channel('mail', () => {}, { durable: { attempts: 1 } });
    const sender = durableSender(app, config);
    for (let i = 0; i < 3; i++) await sender.send('mail', { type: 'mail.send', i }, { delayMs: 60_000 });
    const layer = new RedisLayer({ url: redis.url, prefix });
    const registry = new Registry();
    const worker = new Worker(app, layer, { durable: config, metrics: registry });
    try {
      const text = await registry.metrics();
      expect(sample(text, 'switchyard_durable_jobs{channel="mail",state="delayed"}')).toBe(3);
      expect(sample(text, 'switchyard_durable_jobs{channel="mail",state="waiting"}')).toBe(0);
    } finally {
      await worker.stop();
      await sender.close();
      await layer.close();
    }
  });
});
