import { CreditWindow, DEFAULT_RESPONSE_WINDOW, httpPhaseAfter, parseWorkerToServer, type HttpReplyPhase } from '../../schemas/index.js';
import { HeaderList, type HeadersInit } from '../http/headers.js';
import { testScope } from './scope.js';
import type { TestBed } from './test-bed.js';

export interface TestRequest {
  headers?: HeadersInit;
  body?: string | Uint8Array | Iterable<Uint8Array | string>;
  /** Body chunk size as the server would send them (default 64 KiB). */
  chunkBytes?: number;
}

export interface TestResponse {
  status: number;
  headers: HeaderList;
  /** Every body chunk as the app sent it (a streamed response shows its chunks). */
  chunks: Buffer[];
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
  /** `Link` values the app sent as early hints or pushes. */
  hints: string[];
}

/**
 * Sends one request through the app without a network, the way the interface server would:
 * `http.request`, body chunks on demand, credit for streamed responses. Every reply is checked
 * as the server checks it (its schema, the order of the exchange, the credit window): what the
 * server would refuse with a 500 rejects here with the reason (MessageValidationError,
 * ProtocolViolation), so a consumer that would fail in production fails its test.
 *
 *     const http = new HttpCommunicator(bed);
 *     const res = await http.request('POST', '/echo', { body: 'hi' });
 *     expect(res.text()).toBe('hi');
 */
export class HttpCommunicator {
  constructor(private readonly bed: TestBed) {}

  get(path: string, init?: TestRequest): Promise<TestResponse> {
    return this.request('GET', path, init);
  }

  post(path: string, init?: TestRequest): Promise<TestResponse> {
    return this.request('POST', path, init);
  }

  async request(method: string, target: string, init: TestRequest = {}): Promise<TestResponse> {
    await this.bed.start();
    const layer = this.bed.layer;
    const chunks = bodyChunks(init.body, init.chunkBytes ?? 64 * 1024);
    const reply = await layer.newChannel('test-http');
    try {
      await layer.send('http.request', {
        type: 'http.request',
        reply_channel: reply,
        ...testScope(target, init.headers),
        method: method.toUpperCase(),
        scheme: 'http',
        body: chunks.shift() ?? Buffer.alloc(0),
        more_body: chunks.length > 0,
        extensions: { 'http.response.window': { chunks: DEFAULT_RESPONSE_WINDOW }, 'http.response.early_hints': {} },
      });
      return await collect(layer, reply, chunks);
    } finally {
      layer.releaseChannel(reply);
    }
  }
}

async function collect(layer: TestBed['layer'], reply: string, pending: Buffer[]): Promise<TestResponse> {
  let phase: HttpReplyPhase = 'waiting';
  const window = new CreditWindow(DEFAULT_RESPONSE_WINDOW);
  let status = 0;
  let headers: [string, string][] = [];
  const chunks: Buffer[] = [];
  const hints: string[] = [];
  let pull: string | undefined;
  for (;;) {
    for (const { message: raw } of await layer.receive([reply], { max: 16, signal: AbortSignal.timeout(30_000) })) {
      const message = parseWorkerToServer(raw);
      phase = httpPhaseAfter(phase, message);
      switch (message.type) {
        case 'http.request.pull':
          pull = message.channel;
          for (let n = message.chunks; n > 0 && pending.length > 0; n--) {
            const body = pending.shift()!;
            await layer.send(pull, { type: 'http.request.body', body, more_body: pending.length > 0 });
          }
          break;
        case 'http.response.early_hints':
          hints.push(...message.links);
          break;
        case 'http.response.push':
          hints.push(`<${message.path}>; rel=preload`);
          break;
        case 'http.response.start':
          status = message.status;
          headers = message.headers;
          break;
        case 'http.response':
          chunks.push(Buffer.from(message.body));
          return response(message.status, message.headers, chunks, hints);
        case 'http.response.body':
          window.use();
          chunks.push(Buffer.from(message.body));
          // The test reads every chunk at once: its credit goes straight back.
          if (pull !== undefined) {
            window.grant(1);
            await layer.send(pull, { type: 'http.response.credit', chunks: 1 });
          }
          if (phase === 'done') return response(status, headers, chunks, hints);
          break;
        case 'http.response.abort':
          throw new Error(`the app aborted the response: ${message.reason}`);
      }
    }
  }
}

function response(status: number, headers: [string, string][], chunks: Buffer[], hints: string[]): TestResponse {
  const body = Buffer.concat(chunks.filter((c) => c.length > 0));
  return {
    status,
    headers: new HeaderList(headers),
    chunks: chunks.filter((c) => c.length > 0),
    body,
    hints,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

function bodyChunks(body: TestRequest['body'], size: number): Buffer[] {
  if (body === undefined) return [];
  const whole = typeof body === 'string' || body instanceof Uint8Array;
  const parts = whole ? [Buffer.from(body as string)] : [...(body as Iterable<Uint8Array | string>)].map((p) => Buffer.from(p as string));
  if (!whole) return parts;
  const chunks: Buffer[] = [];
  for (let i = 0; i < parts[0]!.length; i += size) chunks.push(parts[0]!.subarray(i, i + size));
  return chunks;
}

