/**
 * Nothing missed across a reconnect, with real processes and switchyard/client: clients in a
 * group with history while a publisher sends 20 messages a second, through an interface server
 * restarted in the middle (SIGTERM, then started again on the same port), and through a client's
 * network dropping for 5 s. Afterwards every client has every message, once each, in order.
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLayer } from '../../channel-layer/index.js';
import { SwitchyardClient } from '../../client/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { killAll, listening, QUICKSTART, randomPrefix, ROOT, startDev, startServe, startWorker, SwitchyardProcess, childEnv, type LayerEnv, type Listening } from '../helpers/processes.js';

const HISTORY_APP = relative(ROOT, fileURLToPath(new URL('./apps/history-app.ts', import.meta.url)));
const RATE_PER_S = 20;

/** A client that records the numbers it is sent on its feed. */
interface Recorder {
  client: SwitchyardClient;
  got: number[];
  texts: string[];
  /** Times it lost its connection and set out to reconnect. */
  reconnects: number;
  followed: Promise<void>;
}

function recorder(url: string, WebSocketClass: unknown = WebSocket): Recorder {
  const client = new SwitchyardClient(url, { WebSocket: WebSocketClass as never, minDelayMs: 100, maxDelayMs: 1_000 });
  const got: number[] = [];
  const texts: string[] = [];
  client.on('json', (value) => {
    if (typeof value === 'object' && value !== null && 'n' in value) got.push((value as { n: number }).n);
  });
  client.on('message', (data) => {
    if (typeof data === 'string') texts.push(data);
  });
  const followed = new Promise<void>((resolve) => client.on('followed', () => resolve()));
  const r: Recorder = { client, got, texts, reconnects: 0, followed };
  client.on('reconnecting', () => void r.reconnects++);
  return r;
}

/** Publishes `{"n": i}` to `group` at RATE_PER_S, as a worker would, until stopped; resolves to the count. */
function publisher(layer: RedisLayer, group: string): { stop(): Promise<number> } {
  let stopped = false;
  let n = 0;
  const running = (async () => {
    while (!stopped) {
      n++;
      await layer.groupSend(group, { type: 'websocket.send', text: JSON.stringify({ n }) });
      await sleep(1000 / RATE_PER_S);
    }
    return n;
  })();
  return {
    stop: async () => {
      stopped = true;
      return running;
    },
  };
}

const oneToN = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

async function allCaughtUp(recorders: Recorder[], total: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (recorders.some((r) => r.got.length < total) && Date.now() < deadline) await sleep(100);
}

describe('recovery across reconnects (switchyard/client, real processes)', () => {
  let redis: RedisServer;
  let layer: LayerEnv;
  let server: Listening;
  let publishing: RedisLayer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    layer = { redisUrl: redis.url, prefix: randomPrefix('recovery') };
    server = await startServe(HISTORY_APP, layer);
    await startWorker(HISTORY_APP, layer);
    publishing = new RedisLayer({ url: redis.url, prefix: layer.prefix, groupHistory: [{ pattern: 'feed.*', size: 2000, maxAgeMs: 120_000 }] });
    await publishing.waitUntilReady();
  });

  afterAll(async () => {
    await publishing?.close();
    await killAll();
    await redis?.stop();
  });

  it('200 clients get every message once and in order while the interface server is restarted', async () => {
    const recorders = Array.from({ length: 200 }, (_, i) => recorder(`${server.wsUrl}/ws/feed/restart?user=u${i % 50}`));
    await Promise.all(recorders.map((r) => r.followed));
    const publish = publisher(publishing, 'feed.restart');
    await sleep(2_000);
    // SIGTERM: the server closes every WebSocket with 1001 and exits; a new one takes the port.
    const port = server.port;
    expect((await server.proc.stop()).code).toBe(0);
    await sleep(500);
    server = await listening(new SwitchyardProcess(['serve', HISTORY_APP, '--port', String(port)], childEnv({ REDIS_URL: layer.redisUrl, SWITCHYARD_PREFIX: layer.prefix })));
    await sleep(3_000);
    const total = await publish.stop();
    await allCaughtUp(recorders, total);
    const wrong = recorders.filter((r) => JSON.stringify(r.got) !== JSON.stringify(oneToN(total)));
    expect(wrong.map((r) => r.got.length), `clients without exactly 1..${total} in order`).toEqual([]);
    expect(total).toBeGreaterThan(80);
    // Every one of them really was cut off by the restart, and came back.
    expect(recorders.filter((r) => r.reconnects === 0)).toHaveLength(0);
    for (const r of recorders) r.client.close();
  }, 90_000);

  it('a client whose network drops for 5 s gets what it missed, and what it sent offline goes out', async () => {
    let offline = false;
    const sockets: WebSocket[] = [];
    /** The client's WebSocket: while offline, connections fail as with no network. */
    class Flaky extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(offline ? 'ws://127.0.0.1:9/' : url, protocols);
        sockets.push(this);
      }
    }
    const flaky = recorder(`${server.wsUrl}/ws/feed/drop?user=flaky`, Flaky);
    const steady = recorder(`${server.wsUrl}/ws/feed/drop?user=steady`);
    await Promise.all([flaky.followed, steady.followed]);
    const publish = publisher(publishing, 'feed.drop');
    await sleep(1_000);
    offline = true;
    sockets.at(-1)!.terminate(); // the network goes: no close frame
    await sleep(500);
    expect(flaky.client.state).not.toBe('open');
    flaky.client.send('sent while offline');
    await sleep(4_500);
    offline = false;
    await sleep(1_500);
    const total = await publish.stop();
    await allCaughtUp([flaky, steady], total);
    expect(flaky.reconnects).toBeGreaterThan(1); // it tried while the network was down
    expect(steady.reconnects).toBe(0);
    expect(flaky.got).toEqual(oneToN(total));
    expect(steady.got).toEqual(oneToN(total));
    // The line it sent offline went out once it was back: both got it from the feed, once.
    await expect.poll(() => steady.texts.filter((t) => t === 'sent while offline').length, { timeout: 10_000 }).toBe(1);
    expect(flaky.texts.filter((t) => t === 'sent while offline')).toHaveLength(1);
    flaky.client.close();
    steady.client.close();
  }, 60_000);
});

describe('the quickstart chat on the in-memory layer (switchyard dev)', () => {
  afterAll(async () => {
    await killAll();
  });

  it('a client that asks for the room\'s history gets all of it, even more lines than a connection queues before its handshake', async () => {
    const dev = await startDev(QUICKSTART);
    const url = `${dev.wsUrl}/ws/chat/history-${Date.now()}?name=writer`;
    const writer = new SwitchyardClient(url, { WebSocket: WebSocket as never });
    const lines: string[] = [];
    writer.on('json', (value) => void lines.push((value as { text: string }).text));
    for (let i = 1; i <= 90; i++) writer.send(`line ${i}`); // sent once connected
    await expect.poll(() => lines.length, { timeout: 15_000 }).toBe(90);
    writer.close();
    // The room keeps 100 lines; the catch-up comes while the consumer's connect still runs.
    const reader = new SwitchyardClient(url.replace('writer', 'reader'), { WebSocket: WebSocket as never, replay: [url.split('/ws/chat/')[1]!.split('?')[0]!].map((room) => `room.${room}`) });
    const read: string[] = [];
    reader.on('json', (value) => void read.push((value as { text: string }).text));
    await expect.poll(() => read.length, { timeout: 15_000 }).toBe(90);
    expect(read).toEqual(Array.from({ length: 90 }, (_, i) => `line ${i + 1}`));
    reader.close();
  }, 60_000);
});
