import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { MemoryLayer, RedisLayer } from '../../channel-layer/index.js';
import { inspectLayer } from '../../channel-layer/redis/inspect.js';
import type { Harness } from './server-harness.js';

/**
 * Raw clients for the interface-server limit, static-file and shutdown suites: node:http
 * requests sent exactly as written (path, Host, chunked bodies), raw TCP connections that
 * record what came back and when they closed, and WebSocket handshakes that report the
 * refusal status.
 */

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** Sent with a Content-Length unless the headers say chunked; an array is sent as separate writes. */
  body?: string | Buffer | (string | Buffer)[];
  /** Give up (reject) after this long; 10 s by default so a hang fails the test with a message. */
  timeoutMs?: number;
}

/** One request on a connection of its own (no pool), with the path sent as given. */
export function request(url: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
  const { method = 'GET', headers = {}, body, timeoutMs = 10_000 } = options;
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, method, path, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        clearTimeout(timer);
        const all = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no complete response to ${method} ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (Array.isArray(body)) for (const part of body) req.write(part);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Resolves once `predicate` holds, checking every `everyMs`; throws naming `what` after `withinMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, withinMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A raw TCP connection to the server that records the bytes it got and whether it closed. */
export class RawConnection {
  private chunks: Buffer[] = [];
  closed = false;
  error: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    socket.on('error', (error) => (this.error = error));
    socket.on('close', () => (this.closed = true));
  }

  static open(url: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(portOf(url), new URL(url).hostname);
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** True once the server closed the connection, false if it is still open after `withinMs`. */
  async closesWithin(withinMs: number): Promise<boolean> {
    try {
      await waitUntil(() => this.closed, withinMs, 'the connection to close');
      return true;
    } catch {
      return false;
    }
  }

  waitForText(fragment: string, withinMs: number): Promise<void> {
    return waitUntil(() => this.text.includes(fragment), withinMs, `${JSON.stringify(fragment)} from the server (got ${JSON.stringify(this.text.slice(0, 200))})`);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Whether a fresh TCP connection to `url` is accepted: 'refused' (or another error code) otherwise. */
export function tryConnect(url: string): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect(portOf(url), new URL(url).hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Messages waiting on an ordinary channel of the harness's layer (memory or Redis). */
export async function channelDepth(harness: Harness, channel: string): Promise<number> {
  const layer = harness.serverLayer;
  if (layer instanceof MemoryLayer) return layer.store.channels.depth(channel);
  if (layer instanceof RedisLayer) {
    const snapshot = await inspectLayer(layer.options, layer.options.prefix);
    return snapshot.channels.find((c) => c.channel === channel)?.depth ?? 0;
  }
  throw new Error('unknown layer kind');
}

/** How a WebSocket handshake ended: open, refused with an HTTP status, or a transport error. */
export type Handshake =
  | { kind: 'open'; ws: WebSocket }
  | { kind: 'refused'; status: number; body: string }
  | { kind: 'error'; error: Error };

export function wsUrl(url: string, path = '/ws'): string {
  return `${url.replace(/^http/, 'ws')}${path}`;
}

export function handshake(url: string, options: WebSocket.ClientOptions = {}, timeoutMs = 10_000): Promise<Handshake> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ kind: 'error', error: new Error(`handshake not finished within ${timeoutMs} ms`) });
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ kind: 'open', ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      const done = (): void => resolve({ kind: 'refused', status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') });
      res.once('end', done);
      res.once('error', done);
      res.once('aborted', done);
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      resolve({ kind: 'error', error });
    });
  });
}

/** Opens a WebSocket or throws saying how the handshake ended instead. */
export async function openWebSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const result = await handshake(url, options);
  if (result.kind === 'open') return result.ws;
  throw new Error(`handshake did not open: ${result.kind === 'refused' ? `status ${result.status} ${result.body}` : result.error.message}`);
}

/** The close code and reason the client saw; rejects if the connection does not close in time. */
export function closeOf(ws: WebSocket, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    if (ws.readyState === WebSocket.CLOSED) return reject(new Error('already closed before closeOf() was called'));
    const timer = setTimeout(() => reject(new Error(`the WebSocket did not close within ${timeoutMs} ms`)), timeoutMs);
    ws.on('error', () => {}); // the close that follows says how it ended
    ws.once('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** A promise with its resolver, to gate a scripted worker on the test's say-so. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
