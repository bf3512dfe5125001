/**
 * Bodies in both directions, differentially: large and chunked uploads echoed back, responses
 * read chunk by chunk before they end, a client leaving mid-stream or before the response
 * starts (what the app hears of it), and 103 Early Hints. Every framework app runs directly
 * (node:http; Hono through @hono/node-server, the server Hono users run) and through switchyard dev and serve + worker.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  closeClient,
  comparable,
  FRAMEWORKS,
  pollUntil,
  send,
  sha256,
  startTargets,
  TOPOLOGIES,
  uniqueId,
  within,
  type Framework,
  type Target,
  type Targets,
} from './harness.js';
import { HINT_LINKS } from './apps/state.js';

const TARGETS: Target[] = ['direct', ...TOPOLOGIES];
const NODE_APPS: Framework[] = ['express5', 'express4', 'koa'];
/** Bound on any single wait below (a response, a chunk). */
const WAIT_MS = 5_000;
/** Bound on waiting for the app to record a departure it hears of within milliseconds directly. */
const EVENT_WAIT_MS = 3_000;

let targets: Targets;

beforeAll(async () => {
  targets = await startTargets();
});

afterAll(async () => {
  closeClient();
  await targets?.close();
});

// ---------------------------------------------------------------------------------------------
describe('request bodies echoed back', () => {
  const upload = randomBytes(5 * 1024 * 1024);
  const chunks = Array.from({ length: 40 }, () => randomBytes(32 * 1024));
  const chunked = Buffer.concat(chunks);

  describe.concurrent.each(TOPOLOGIES)('through switchyard %s, the same as directly', (topology) => {
    // Generous bounds: these move 20 MiB through three processes, on machines that may be busy.
    it.for(FRAMEWORKS)('%s: a 5 MiB upload with Content-Length', { timeout: 45_000 }, async (framework, { expect }) => {
      const out = { method: 'POST', path: `/${framework}/echo`, headers: { 'content-type': 'application/octet-stream' }, body: upload, timeoutMs: 40_000 };
      const direct = await send(targets.base('direct', framework), out);
      expect(sha256(direct.body), 'the direct echo is the upload').toBe(sha256(upload));
      const through = await send(targets.base(topology, framework), out);
      expect(comparable(through)).toEqual(comparable(direct));
    });

    it.for(FRAMEWORKS)('%s: a chunked upload (no Content-Length)', { timeout: 45_000 }, async (framework, { expect }) => {
      const out = { method: 'POST', path: `/${framework}/echo`, headers: { 'content-type': 'application/octet-stream' }, chunks, timeoutMs: 40_000 };
      const direct = await send(targets.base('direct', framework), out);
      expect(sha256(direct.body), 'the direct echo is the upload').toBe(sha256(chunked));
      const through = await send(targets.base(topology, framework), out);
      expect(comparable(through)).toEqual(comparable(direct));
    });
  });
});

// ---------------------------------------------------------------------------------------------
/** Streaming routes: the first chunk is written at once, the rest only after /release?id=. */
const STREAMS: { name: string; framework: Framework; path: string; first: string; whole: string }[] = [
  ...(['express5', 'express4', 'koa', 'hono'] as const).map((framework) => ({
    name: framework === 'hono' ? 'hono (stream())' : `${framework} (res.write)`,
    framework,
    path: `/${framework}/stream`,
    first: 'first\n',
    whole: 'first\nlast\n',
  })),
  {
    name: 'hono (streamSSE())',
    framework: 'hono',
    path: '/hono/sse',
    first: 'event: tick\ndata: first\nid: 1\n\n',
    whole: 'event: tick\ndata: first\nid: 1\n\nevent: tick\ndata: last\nid: 2\n\n',
  },
];

describe.each(TARGETS)('streamed responses, %s', (target) => {
  it.concurrent.for(STREAMS)('$name: the first chunk is read before the response ends', async (stream, { expect }) => {
    const base = targets.base(target, stream.framework);
    const id = uniqueId('stream');
    const response = await within(fetch(`${base}${stream.path}?id=${id}`), WAIT_MS, 'the response head');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // Read until the first chunk is whole (it may come in pieces), while the app still holds the rest.
    while (text.length < stream.first.length) {
      const { done, value } = await within(reader.read(), WAIT_MS, `the first chunk of ${stream.path}`);
      expect(done, 'the response ended before the app released it').toBe(false);
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe(stream.first);
    // The app was still holding the response: only now is it let go.
    const released = await send(base, { path: `/${stream.framework}/release?id=${id}` });
    expect(JSON.parse(released.body.toString())).toEqual({ released: true });
    for (;;) {
      const { done, value } = await within(reader.read(), WAIT_MS, `the rest of ${stream.path}`);
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe(stream.whole);
  });
});

// ---------------------------------------------------------------------------------------------
/** What the app recorded for `id` (on the target's process). */
async function eventsOn(target: Target, framework: Framework, id: string): Promise<string[]> {
  const res = await send(targets.base(target, framework), { path: `/${framework}/events?id=${id}` });
  return JSON.parse(res.body.toString()) as string[];
}

/** GET `route`; read its first chunk (mid-stream) or wait until the app has it (before the start); then leave. */
async function leave(target: Target, framework: Framework, route: 'hold' | 'hang', id: string): Promise<void> {
  const controller = new AbortController();
  const answer = fetch(`${targets.base(target, framework)}/${framework}/${route}?id=${id}`, { signal: controller.signal });
  answer.catch(() => {}); // rejected by the abort below when no head came
  if (route === 'hold') {
    const response = await within(answer, WAIT_MS, 'the response head');
    await within(response.body!.getReader().read(), WAIT_MS, 'the first chunk');
  } else {
    const entered = await pollUntil(() => eventsOn(target, framework, id), (events) => events.includes('entered'), WAIT_MS);
    if (!entered.includes('entered')) throw new Error(`the request never reached the app on ${target}`);
  }
  controller.abort();
}

/**
 * The client leaves on the direct server and through `topology`; returns the (relevant) events
 * the app recorded each way, as sorted sets, once through switchyard they include all of the
 * direct ones (or the bounded wait is over).
 */
async function sameEventsAsDirectly(
  topology: Target,
  framework: Framework,
  route: 'hold' | 'hang',
  settled: (events: string[]) => boolean,
  relevant: (event: string) => boolean = () => true,
): Promise<{ direct: string[]; through: string[] }> {
  const set = (events: string[]): string[] => [...new Set(events.filter(relevant))].sort();
  const directId = uniqueId(`${route}-direct`);
  await leave('direct', framework, route, directId);
  const direct = set(await pollUntil(() => eventsOn('direct', framework, directId), settled, EVENT_WAIT_MS));
  if (!settled(direct)) throw new Error(`directly, the app did not record the departure: ${JSON.stringify(direct)}`);
  const id = uniqueId(`${route}-${topology}`);
  await leave(topology, framework, route, id);
  const through = set(await pollUntil(() => eventsOn(topology, framework, id), (events) => direct.every((e) => events.includes(e)), EVENT_WAIT_MS));
  return { direct, through };
}

const nodeSettled = (events: string[]): boolean => events.includes('res.close:unfinished') && events.includes('req.close');

describe.concurrent.each(TOPOLOGIES)('the client goes away, through switchyard %s', (topology) => {
  describe.concurrent('mid-stream', () => {
    it.for(NODE_APPS)("%s: the app's req and res see 'close' ('aborted') as they do directly", async (framework, { expect }) => {
      const { direct, through } = await sameEventsAsDirectly(topology, framework, 'hold', nodeSettled);
      expect(direct).toContain('res.close:unfinished');
      expect(through).toEqual(direct);
    });

    it('hono: the fetch handler’s request.signal aborts', async ({ expect }) => {
      const signalOnly = (event: string): boolean => event !== 'stream.abort';
      const { direct, through } = await sameEventsAsDirectly(topology, 'hono', 'hold', (events) => events.includes('signal.abort'), signalOnly);
      expect(direct).toContain('signal.abort');
      expect(through).toEqual(direct);
    });

    it('hono: the response body stream is cancelled (stream.onAbort runs, the stream callback ends)', async ({ expect }) => {
      const { direct, through } = await sameEventsAsDirectly(topology, 'hono', 'hold', (events) => events.includes('stream.abort'));
      expect(direct).toContain('stream.abort');
      expect(through).toEqual(direct);
    });
  });

  describe.concurrent('before the response starts (a long poll)', () => {
    it.for(NODE_APPS)("%s: the app's req and res see 'close' as they do directly", async (framework, { expect }) => {
      const { direct, through } = await sameEventsAsDirectly(topology, framework, 'hang', nodeSettled);
      expect(direct).toContain('res.close:unfinished');
      expect(through).toEqual(direct);
    });

    it('hono: the fetch handler’s request.signal aborts', async ({ expect }) => {
      const { direct, through } = await sameEventsAsDirectly(topology, 'hono', 'hang', (events) => events.includes('signal.abort'));
      expect(direct).toContain('signal.abort');
      expect(through).toEqual(direct);
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe.concurrent.each(TOPOLOGIES)('103 Early Hints (res.writeEarlyHints; Hono: c.env.outgoing.writeEarlyHints), through switchyard %s', (topology) => {
  it.for([...NODE_APPS, 'hono'] as const)('%s: one preload link: the 103 with its Link header, then the 200', async (framework, { expect }) => {
    const out = { path: `/${framework}/hint-one` };
    const direct = await send(targets.base('direct', framework), out);
    expect(direct.interim).toEqual([{ status: 103, headers: [['link', HINT_LINKS[0]]] }]);
    const through = await send(targets.base(topology, framework), out);
    expect(comparable(through)).toEqual(comparable(direct));
    expect(through.interim).toEqual(direct.interim);
  });

  it.for([...NODE_APPS, 'hono'] as const)('%s: two preload links: the 103 with its Link header, then the 200', async (framework, { expect }) => {
    const out = { path: `/${framework}/hints` };
    const direct = await send(targets.base('direct', framework), out);
    expect(direct.interim).toEqual([{ status: 103, headers: [['link', HINT_LINKS.join(', ')]] }]);
    const through = await send(targets.base(topology, framework), out);
    expect(comparable(through)).toEqual(comparable(direct));
    expect(through.interim).toEqual(direct.interim);
  });

  it('hono: @hono/node-server\'s earlyHints middleware: the 103, then the 200', async ({ expect }) => {
    const out = { path: '/hono/hints-middleware' };
    const direct = await send(targets.base('direct', 'hono'), out);
    expect(direct.interim).toEqual([{ status: 103, headers: [['link', HINT_LINKS[0]]] }]);
    const through = await send(targets.base(topology, 'hono'), out);
    expect(comparable(through)).toEqual(comparable(direct));
    expect(through.interim).toEqual(direct.interim);
  });

  it.for([...NODE_APPS, 'hono'] as const)('%s: the 103 keeps the other headers the app gave writeEarlyHints', async (framework, { expect }) => {
    const out = { path: `/${framework}/hints-extra` };
    const direct = await send(targets.base('direct', framework), out);
    expect(direct.interim[0]?.headers).toContainEqual(['x-hint-trace', 'abc']);
    const through = await send(targets.base(topology, framework), out);
    expect(comparable(through)).toEqual(comparable(direct));
    expect(through.interim).toEqual(direct.interim);
  });
});
