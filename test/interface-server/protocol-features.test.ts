/**
 * What a consumer can see of the protocol its client speaks, through a real server: HTTP
 * version, TLS, whether push and early hints are available, what `ctx.push` did, and the
 * WebSocket extensions the connection speaks.
 */
import http2 from 'node:http2';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp, json, Worker } from '../../consumers/index.js';
import type { ServerOptionsInput } from '../../interface-server/index.js';
import { curl, h2Request } from '../helpers/http-clients.js';
import { startServer, type Harness } from '../helpers/server-harness.js';

const app = createApp()
  .get('/features', async (request, ctx) => {
    const pushed = await ctx.push('/style.css');
    return json({ httpVersion: request.httpVersion, secure: request.secure, push: request.pushAvailable, hints: request.earlyHintsAvailable, pushed });
  })
  .get('/style.css', () => 'body {}')
  .websocket('/ws/ext', { connect: async (ctx) => (await ctx.accept(), await ctx.send(JSON.stringify(ctx.extensions))) });

let harness: Harness | undefined;
let worker: Worker | undefined;
afterEach(async () => {
  await harness?.close();
  await worker?.stop();
  harness = undefined;
  worker = undefined;
});

async function serve(options: ServerOptionsInput = {}): Promise<Harness> {
  harness = await startServer('memory', options);
  worker = new Worker(app, harness.workerLayer, { logger: pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })) });
  await worker.start();
  return harness;
}

describe('the protocol as a consumer sees it', () => {
  it('HTTP/1.1: no push, early hints available, ctx.push becomes a hint; HTTP/1.0: ctx.push drops', async () => {
    const { url } = await serve();
    expect(await (await fetch(`${url}/features`)).json()).toEqual({ httpVersion: '1.1', secure: false, push: false, hints: true, pushed: 'hinted' });
    const old = await curl(['-s', '--http1.0', `${url}/features`]);
    expect(JSON.parse(old.stdout.toString())).toEqual({ httpVersion: '1.0', secure: false, push: false, hints: false, pushed: 'dropped' });
  });

  it('HTTP/2 with push enabled by the client: push available, ctx.push pushes', async () => {
    const { url } = await serve();
    const session = http2.connect(url, { settings: { enablePush: true } });
    session.on('stream', (pushed) => pushed.resume());
    try {
      const res = await h2Request(session, { ':path': '/features' });
      expect(JSON.parse(res.body.toString())).toEqual({ httpVersion: '2', secure: false, push: true, hints: true, pushed: 'pushed' });
    } finally {
      session.close();
    }
  });

  it('WebSocket: ctx.extensions names permessage-deflate when the server enables it and the client offers it', async () => {
    for (const [perMessageDeflate, expected] of [[false, []], [true, ['permessage-deflate']]] as const) {
      const { url } = await serve({ websocket: { perMessageDeflate } });
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/ext`); // ws offers permessage-deflate by default
      const [frame] = (await once(ws, 'message')) as [Buffer];
      expect(JSON.parse(frame.toString())).toEqual(expected);
      expect(ws.extensions.split(';')[0]).toBe(expected[0] ?? ''); // what the client agreed to, the same
      ws.close();
      await once(ws, 'close');
      await harness!.close();
      await worker!.stop();
      harness = undefined;
      worker = undefined;
    }
  });
});
