import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders as Http2Headers, OutgoingHttpHeaders as Http2OutgoingHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WireMessage } from '../../channel-layer/index.js';

/**
 * Small real clients for the interface-server HTTP tests: node:http with raw control, the
 * node:http2 client, curl, and a self-signed certificate made with openssl at test time.
 */

export type Message = WireMessage & Record<string, unknown>;

/** A self-signed certificate for CN=localhost in a fresh temp dir; `remove()` deletes it. */
export interface TestCert {
  cert: string;
  key: string;
  certPath: string;
  remove(): void;
}

export function makeCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-http-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost'],
    { stdio: 'ignore' },
  );
  return {
    cert: readFileSync(certPath, 'utf8'),
    key: readFileSync(keyPath, 'utf8'),
    certPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  res: IncomingMessage;
}

/** Reads a node:http response to the end. */
export function readResponse(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (chunk: Buffer) => parts.push(chunk));
    res.once('error', reject);
    res.once('end', () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(parts), res }),
    );
  });
}

export interface RawRequestOptions {
  method?: string;
  /** An object, or a flat raw list `[name, value, name, value…]` to send duplicates in order. */
  headers?: OutgoingHttpHeaders | string[];
  body?: string | Buffer;
  agent?: http.Agent;
  /** Called with each informational (1xx) response. */
  onInformation?: (info: http.InformationEvent) => void;
}

/** One node:http request, read to the end. */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse & { reusedSocket: boolean; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers as OutgoingHttpHeaders,
      ...(options.agent ? { agent: options.agent } : {}),
    });
    let localPort = 0;
    req.once('socket', (socket) => {
      if (socket.localPort !== undefined) localPort = socket.localPort;
      else socket.once('connect', () => (localPort = socket.localPort ?? 0));
    });
    if (options.onInformation) req.on('information', options.onInformation);
    req.once('error', reject);
    req.once('response', (res) => {
      readResponse(res).then((r) => resolve({ ...r, reusedSocket: req.reusedSocket, localPort }), reject);
    });
    req.end(options.body);
  });
}

export interface H2Response {
  headers: Http2Headers;
  /** 1xx header blocks (e.g. 103 Early Hints), in order. */
  informational: Http2Headers[];
  body: Buffer;
}

/** One request on an HTTP/2 session, read to the end. */
export function h2Request(session: ClientHttp2Session, headers: Http2OutgoingHeaders, body?: string | Buffer): Promise<H2Response> {
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  return readH2(stream);
}

export function readH2(stream: ClientHttp2Stream): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const informational: Http2Headers[] = [];
    let head: Http2Headers = {};
    const parts: Buffer[] = [];
    stream.on('headers', (h) => informational.push(h));
    stream.once('response', (h) => (head = h));
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.once('error', reject);
    stream.once('end', () => resolve({ headers: head, informational, body: Buffer.concat(parts) }));
  });
}

/** Runs curl; resolves with stdout (bytes) whatever the exit code, rejects only if it cannot run. */
export function curl(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/curl', args, { encoding: 'buffer', timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1;
      if (error !== null && code === -1) return reject(error);
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

/** Polls `check` until it is truthy (bounded); throws naming `what` otherwise. */
export async function waitFor(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Bytes of a message field as text. */
export function text(bytes: unknown): string {
  return Buffer.from(bytes as Uint8Array).toString('latin1');
}

/** The request's header pairs whose names are in `names`, in arrival order. */
export function pairsNamed(request: Message, ...names: string[]): [string, string][] {
  return (request.headers as [string, string][]).filter(([name]) => names.includes(name));
}

/**
 * Writes `bytes` on a fresh TCP connection and resolves with everything read until the server
 * closes it (send `Connection: close` or HTTP/1.0). The client does not half-close: Node's
 * server takes a client FIN as the client leaving.
 */
export function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.once('close', () => resolve(out));
    socket.once('error', reject);
  });
}
