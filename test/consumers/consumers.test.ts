import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { MemoryLayer } from '../../channel-layer/index.js';
import { InterfaceServer } from '../../interface-server/index.js';
import { createApp, json, stream, text, Worker, type App } from '../../consumers/index.js';
import { HttpCommunicator, TestBed, WebSocketCommunicator } from '../../consumers/testing/index.js';

const beds: TestBed[] = [];
afterEach(async () => {
  await Promise.all(beds.splice(0).map((bed) => bed.close()));
});

/** A test bed whose log lines are collected. */
function bed(app: App, options: ConstructorParameters<typeof TestBed>[1] = {}): { bed: TestBed; logs: { msg: string; consumer?: string }[] } {
  const logs: { msg: string; consumer?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const made = new TestBed(app, { logger: pino({ level: 'debug' }, sink), ...options });
  beds.push(made);
  return { bed: made, logs };
}

describe('HTTP consumers', () => {
  it('route by method and path with parameters, query and headers', async () => {
    const app = createApp().get('/users/:id', (req, ctx) =>
      json({ id: ctx.params.id, sort: req.query.get('sort'), agent: req.headers.get('user-agent'), session: req.headers.cookie('session') }),
    );
    const http = new HttpCommunicator(bed(app).bed);
    const res = await http.get('/users/42?sort=name', { headers: { 'user-agent': 'test', cookie: 'a=1; session=s%201' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json()).toEqual({ id: '42', sort: 'name', agent: 'test', session: 's 1' });
  });

  it('cookies: a malformed Cookie header never fails the request; quoted values lose their quotes', async () => {
    const app = createApp().get('/c', (req) => json({ a: req.headers.cookie('a'), b: req.headers.cookie('b'), c: req.headers.cookie('c'), d: req.headers.cookie('d') }));
    const http = new HttpCommunicator(bed(app).bed);
    const res = await http.get('/c', { headers: { cookie: 'a=%E0%A4%A; b="quoted value"; c=100%; junk; =x; d=%41' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ a: '%E0%A4%A', b: 'quoted value', c: '100%', d: 'A' });
  });

  it('answers 404 for unknown paths, 405 with Allow for wrong methods, and HEAD with the GET route', async () => {
    const app = createApp().get('/only-get', () => text('body'));
    const http = new HttpCommunicator(bed(app).bed);
    expect((await http.get('/nope')).status).toBe(404);
    const wrong = await http.post('/only-get');
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET']);
    expect((await http.request('HEAD', '/only-get')).status).toBe(200);
  });

  it('reads the body as bytes, text, JSON, a form or a stream pulled chunk by chunk', async () => {
    const app = createApp()
      .post('/json', async (req) => json(await req.json()))
      .post('/form', async (req) => text((await req.form()).get('name') ?? ''))
      .post('/count', async (req) => {
        let chunks = 0;
        let bytes = 0;
        for await (const chunk of req.stream()) {
          chunks++;
          bytes += chunk.length;
        }
        return json({ chunks, bytes });
      });
    const http = new HttpCommunicator(bed(app).bed);
    expect((await http.post('/json', { body: JSON.stringify({ a: [1, 2] }) })).json()).toEqual({ a: [1, 2] });
    expect((await http.post('/form', { body: 'name=Ada+L&x=1' })).text()).toBe('Ada L');
    const big = Buffer.alloc(300 * 1024, 7);
    expect((await http.post('/count', { body: big, chunkBytes: 64 * 1024 })).json()).toEqual({ chunks: 5, bytes: big.length });
  });

  it('streams a response chunk by chunk, beyond the credit window', async () => {
    const app = createApp().get('/events', () =>
      stream(
        (async function* () {
          for (let i = 0; i < 40; i++) yield `data: ${i}\n\n`;
        })(),
        { headers: { 'content-type': 'text/event-stream' } },
      ),
    );
    const res = await new HttpCommunicator(bed(app).bed).get('/events');
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.chunks).toHaveLength(40);
    expect(res.chunks[39]!.toString()).toBe('data: 39\n\n');
  });

  it('echoes a streamed body back while reading it', async () => {
    const app = createApp().post('/echo', (req) => stream(req.stream()));
    const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const res = await new HttpCommunicator(bed(app).bed).post('/echo', { body, chunkBytes: 16 * 1024 });
    expect(res.body.equals(body)).toBe(true);
  });

  it('accepts WHATWG Responses with duplicate headers', async () => {
    const app = createApp().get('/cookies', () => {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response('ok', { status: 201, headers });
    });
    const res = await new HttpCommunicator(bed(app).bed).get('/cookies');
    expect([res.status, res.text(), res.headers.getAll('set-cookie')]).toEqual([201, 'ok', ['a=1', 'b=2']]);
  });

  it('turns a failing consumer into a 500 and a log line naming it', async () => {
    const app = createApp().get('/boom', () => {
      throw new Error('kaput');
    });
    const { bed: made, logs } = bed(app);
    const res = await new HttpCommunicator(made).get('/boom');
    expect(res.status).toBe(500);
    expect(logs.some((l) => l.consumer === 'GET /boom' && l.msg.includes('kaput'))).toBe(true);
  });

  it('aborts a response whose stream fails midway, instead of ending it as if complete', async () => {
    const app = createApp().get('/half', () =>
      stream(
        (async function* () {
          yield 'first';
          throw new Error('disk gone');
        })(),
      ),
    );
    await expect(new HttpCommunicator(bed(app).bed).get('/half')).rejects.toThrow(/aborted the response/);
  });

  it('fails a consumer that runs past the timeout with a 500', async () => {
    const app = createApp().get('/slow', () => new Promise<never>(() => {}));
    const { bed: made, logs } = bed(app, { timeoutMs: 100 });
    expect((await new HttpCommunicator(made).get('/slow')).status).toBe(500);
    expect(logs.some((l) => l.consumer === 'GET /slow' && /did not finish within 100 ms/.test(l.msg))).toBe(true);
  });

  it('runs middleware around every consumer, which may answer instead', async () => {
    const app = createApp()
      .use(async (ctx, next) => {
        if (ctx.kind !== 'http') return next();
        const user = ctx.request.headers.cookie('user');
        if (user === undefined) {
          ctx.response = text('who are you?', { status: 401 });
          return;
        }
        ctx.locals.user = user;
        await next();
      })
      .get('/me', (_req, ctx) => text(`hello ${String(ctx.locals.user)}`));
    const http = new HttpCommunicator(bed(app).bed);
    expect((await http.get('/me')).status).toBe(401);
    expect((await http.get('/me', { headers: { cookie: 'user=ada' } })).text()).toBe('hello ada');
  });

  it('sends early hints', async () => {
    const app = createApp().get('/page', async (_req, ctx) => {
      await ctx.earlyHints(['</app.css>; rel=preload; as=style']);
      return text('page');
    });
    expect((await new HttpCommunicator(bed(app).bed).get('/page')).hints).toEqual(['</app.css>; rel=preload; as=style']);
  });
});

describe('named channel consumers', () => {
  it('run for messages sent from other consumers, after their schema check', async () => {
    const seen: string[] = [];
    const app = createApp()
      .channel('thumbnails', (message) => void seen.push(message.image), {
        schema: z.object({ type: z.literal('thumbnail.make'), image: z.string() }),
      })
      .post('/upload', async (_req, ctx) => {
        await ctx.send('thumbnails', { type: 'thumbnail.make', image: 'cat.png' });
        await ctx.send('thumbnails', { type: 'thumbnail.make', image: 42 });
        return text('queued');
      });
    const { bed: made, logs } = bed(app);
    expect((await new HttpCommunicator(made).post('/upload')).text()).toBe('queued');
    await expect.poll(() => seen).toEqual(['cat.png']);
    await expect.poll(() => logs.some((l) => l.consumer === 'channel thumbnails' && /failed/.test(l.msg))).toBe(true);
  });

  it('run lifespan hooks around the worker', async () => {
    const calls: string[] = [];
    const app = createApp()
      .onStartup(() => void calls.push('startup'))
      .onShutdown(() => void calls.push('shutdown'))
      .get('/', () => text('ok'));
    const { bed: made } = bed(app);
    await new HttpCommunicator(made).get('/');
    expect(calls).toEqual(['startup']);
    await made.close();
    expect(calls).toEqual(['startup', 'shutdown']);
  });
});

describe('WebSocket consumers', () => {
  it('accept by default and echo text and bytes', async () => {
    const app = createApp().websocket('/ws/echo', { receive: (ctx, m) => ctx.send(m.text ?? m.bytes!) });
    const ws = new WebSocketCommunicator(bed(app).bed, '/ws/echo');
    expect((await ws.connect()).accepted).toBe(true);
    await ws.sendText('hi');
    expect(await ws.receive()).toEqual({ text: 'hi' });
    await ws.sendBytes(Uint8Array.of(0, 255));
    expect(await ws.receive()).toEqual({ bytes: Buffer.from([0, 255]) });
  });

  it('JSON consumers: receiveJson gets parsed frames, sendJson writes them; a frame that is not JSON closes 1007 unless invalidJson handles it', async () => {
    const app = createApp()
      .websocket('/ws/json', { receiveJson: (ctx, data) => ctx.sendJson({ got: data }) })
      .websocket('/ws/lenient', {
        receiveJson: (ctx, data) => ctx.sendJson(data),
        invalidJson: (ctx, message, error) => ctx.sendJson({ error: error.name, text: message.text ?? null }),
      });
    const made = bed(app).bed;
    const ws = new WebSocketCommunicator(made, '/ws/json');
    await ws.connect();
    await ws.sendText('{"a":[1,2]}');
    expect(await ws.receive()).toEqual({ text: '{"got":{"a":[1,2]}}' });
    await ws.sendText('{not json');
    expect(await ws.receive()).toEqual({ close: { code: 1007, reason: 'invalid JSON' } });
    const lenient = new WebSocketCommunicator(made, '/ws/lenient');
    await lenient.connect();
    await lenient.sendBytes(Uint8Array.of(1));
    expect(await lenient.receive()).toEqual({ text: '{"error":"SyntaxError","text":null}' });
    await lenient.sendText('7');
    expect(await lenient.receive()).toEqual({ text: '7' });
    expect(() => createApp().websocket('/both', { receive: () => {}, receiveJson: () => {} })).toThrow('give receive or receiveJson, not both');
  });

  it('groups: joined at connect before the connect consumer runs, listed in ctx.groups, left at disconnect; broadcast to everyone but the sender', async () => {
    const seen: string[][] = [];
    const app = createApp().websocket('/ws/room/:room', {
      groups: (ctx) => [`room.${ctx.params.room}`, 'everyone'],
      connect: async (ctx) => {
        seen.push([...ctx.groups]);
        await ctx.accept();
      },
      receive: async (ctx, m) => {
        if (m.text === 'join extra') await ctx.groupAdd('extra');
        else await ctx.broadcast(`room.${ctx.params.room}`, m.text!, { except: ctx });
        seen.push([...ctx.groups]);
      },
    });
    const made = bed(app).bed;
    const alice = new WebSocketCommunicator(made, '/ws/room/a');
    const bob = new WebSocketCommunicator(made, '/ws/room/a');
    const carol = new WebSocketCommunicator(made, '/ws/room/b');
    for (const ws of [alice, bob, carol]) await ws.connect();
    expect(seen).toEqual([['room.a', 'everyone'], ['room.a', 'everyone'], ['room.b', 'everyone']]);
    expect((await made.layer.groupMembers('everyone')).length).toBe(3);
    await alice.sendText('join extra');
    await alice.sendText('hello room');
    expect(await bob.receive()).toEqual({ text: 'hello room' });
    await bob.sendText('hi alice');
    expect(await alice.receive()).toEqual({ text: 'hi alice' }); // alice never got her own line
    expect(seen.slice(3)).toEqual([['room.a', 'everyone', 'extra'], ['room.a', 'everyone', 'extra'], ['room.a', 'everyone']]);
    await alice.disconnect();
    await expect.poll(async () => (await made.layer.groupMembers('extra')).length).toBe(0);
    expect((await made.layer.groupMembers('room.a')).length).toBe(1);
    expect((await made.layer.groupMembers('everyone')).length).toBe(2);
    await carol.sendText('anyone?');
    expect(await Promise.race([bob.receive(), new Promise((resolve) => setTimeout(resolve, 200, 'nothing'))])).toBe('nothing');
  });

  it('a broadcast may leave out at most 1,000 connections: more is an error for the consumer, not a lost broadcast', async () => {
    const errors: string[] = [];
    const app = createApp().channel('announce', async (_message, ctx) => {
      await ctx.broadcast('everyone', 'hi', { except: new Array<string>(1001).fill('c') }).catch((error: Error) => errors.push(error.message));
    });
    const made = bed(app).bed;
    await made.start();
    await made.layer.send('announce', { type: 'announce' });
    await expect.poll(() => errors).toEqual(['broadcast to everyone: at most 1000 connections may be left out, not 1001']);
  });

  it('keep state across events, and route by path parameters and query', async () => {
    const app = createApp().websocket<{ count: number; name: string }>('/ws/count/:name', {
      connect: async (ctx) => {
        ctx.state.count = 0;
        ctx.state.name = `${ctx.params.name}/${ctx.query.get('x')}`;
        await ctx.accept();
      },
      receive: async (ctx) => {
        ctx.state.count++;
        await ctx.send(`${ctx.state.name} #${ctx.state.count}`);
      },
    });
    const ws = new WebSocketCommunicator(bed(app).bed, '/ws/count/ada?x=1');
    await ws.connect();
    for (let i = 0; i < 3; i++) await ws.sendText('tick');
    expect([await ws.receive(), await ws.receive(), await ws.receive()]).toEqual([
      { text: 'ada/1 #1' },
      { text: 'ada/1 #2' },
      { text: 'ada/1 #3' },
    ]);
  });

  it('deny, or refuse when connect neither accepts nor denies', async () => {
    const app = createApp()
      .websocket('/ws/deny', { connect: (ctx) => ctx.deny(401, 'no token') })
      .websocket('/ws/silent', { connect: () => {} });
    const made = bed(app).bed;
    expect(await new WebSocketCommunicator(made, '/ws/deny').connect()).toEqual({ accepted: false, status: 401, body: Buffer.from('no token') });
    expect(await new WebSocketCommunicator(made, '/ws/silent').connect()).toMatchObject({ accepted: false, status: 403 });
  });

  it('deliver group messages to members through their event handlers', async () => {
    const app = createApp().websocket('/ws/chat/:room', {
      connect: async (ctx) => {
        await ctx.groupAdd(`room.${ctx.params.room}`);
        await ctx.accept();
      },
      receive: (ctx, m) => ctx.groupSend(`room.${ctx.params.room}`, { type: 'chat.message', text: m.text }),
      events: { 'chat.message': (ctx, event) => ctx.send(String(event.text)) },
    });
    const made = bed(app).bed;
    const ann = new WebSocketCommunicator(made, '/ws/chat/lobby');
    const bob = new WebSocketCommunicator(made, '/ws/chat/lobby');
    const eve = new WebSocketCommunicator(made, '/ws/chat/other');
    await Promise.all([ann.connect(), bob.connect(), eve.connect()]);
    await ann.sendText('hello');
    expect(await ann.receive()).toEqual({ text: 'hello' });
    expect(await bob.receive()).toEqual({ text: 'hello' });
    await expect(eve.receive(200)).rejects.toThrow(/nothing from the app/);
  });

  it('broadcast frames to a group without a consumer run per member', async () => {
    const runs: string[] = [];
    const app = createApp().websocket('/ws/live', {
      connect: async (ctx) => {
        runs.push('connect');
        await ctx.groupAdd('live');
        await ctx.accept();
      },
      receive: async (ctx, m) => {
        runs.push('receive');
        await ctx.broadcast('live', `news: ${m.text}`);
      },
      events: { 'websocket.send': () => void runs.push('event') },
    });
    const made = bed(app).bed;
    const [a, b] = [new WebSocketCommunicator(made, '/ws/live'), new WebSocketCommunicator(made, '/ws/live')];
    await Promise.all([a.connect(), b.connect()]);
    await a.sendText('hi');
    expect([await a.receive(), await b.receive()]).toEqual([{ text: 'news: hi' }, { text: 'news: hi' }]);
    expect(runs).toEqual(['connect', 'connect', 'receive']);
  });

  it('close a connection whose consumer fails with 1011, and log the consumer', async () => {
    const app = createApp().websocket('/ws/fragile', {
      receive: () => {
        throw new Error('bad frame');
      },
    });
    const { bed: made, logs } = bed(app);
    const ws = new WebSocketCommunicator(made, '/ws/fragile');
    await ws.connect();
    await ws.sendText('x');
    expect(await ws.receive()).toEqual({ close: { code: 1011, reason: 'internal error' } });
    expect(logs.some((l) => l.consumer === 'websocket /ws/fragile' && l.msg.includes('bad frame'))).toBe(true);
  });

  it('run disconnect handlers', async () => {
    const left: number[] = [];
    const app = createApp().websocket('/ws/bye', { disconnect: (_ctx, close) => void left.push(close.code) });
    const ws = new WebSocketCommunicator(bed(app).bed, '/ws/bye');
    await ws.connect();
    await ws.disconnect(4001);
    expect(left).toEqual([4001]);
  });
});

describe('a worker checks what it sends', () => {
  it('a reply the server would refuse fails the consumer, named in the log with the message type and field; the client gets 500 / 1011', async () => {
    const app = createApp()
      .get('/bad', () => text('x', { status: 1000 }))
      .websocket('/ws/closer', { receive: (ctx) => ctx.close(1005) });
    const { bed: made, logs } = bed(app);
    expect((await new HttpCommunicator(made).get('/bad')).status).toBe(500);
    const ws = new WebSocketCommunicator(made, '/ws/closer');
    await ws.connect();
    await ws.sendText('x');
    expect(await ws.receive()).toEqual({ close: { code: 1011, reason: 'internal error' } });
    const failures = logs.filter((line) => line.msg.includes('failed'));
    expect(failures.map((line) => [line.consumer, line.msg])).toEqual([
      ['GET /bad', expect.stringMatching(/invalid "http.response" message: field "status"/)],
      ['websocket /ws/closer', expect.stringMatching(/invalid "websocket.close" message: field "code"/)],
    ]);
  });
});

describe('WebSocket handshakes the server may take at once', () => {
  it('the manifest lists routes without a connect consumer, and none once the app has middleware', () => {
    const app = createApp()
      .websocket('/ws/echo', { receive: (ctx, m) => ctx.send(m.text ?? '') })
      .websocket('/ws/guarded', { connect: (ctx) => ctx.accept() });
    expect(app.manifest().websocketAcceptPaths).toEqual(['/ws/echo']);
    app.use(async (_ctx, next) => next());
    expect(app.manifest().websocketAcceptPaths).toEqual([]);
  });

  it('a worker runs the connect event of a connection the server accepted, without answering the handshake again', async () => {
    const errors: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => (errors.push(String(chunk)), done()) }));
    const app = createApp().websocket('/ws/echo', { receive: (ctx, m) => ctx.send(`echo ${m.text ?? ''}`) });
    const layer = new MemoryLayer();
    const server = new InterfaceServer(layer, { port: 0, websocketAcceptPaths: app.manifest().websocketAcceptPaths, logger });
    const worker = new Worker(app, layer, { logger });
    try {
      const { port } = await server.listen();
      await worker.start();
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/echo`);
      await once(ws, 'open');
      ws.send('hi');
      const [data] = (await once(ws, 'message')) as [Buffer];
      expect(data.toString()).toBe('echo hi');
      ws.close();
      await once(ws, 'close');
      expect(errors).toEqual([]);
    } finally {
      await server.close();
      await worker.stop();
      await layer.close();
    }
  });
});
