import type { IncomingMessage } from 'node:http';
import { isTraceparent, newTraceparent, SwitchyardError, type Address, type Headers } from '../../schemas/index.js';
import type { AnyRequest } from '../listener.js';
import { normalizeAddress, resolvePeer } from '../proxy.js';

/** What `http.request` and `websocket.connect` share about the client's request. */
export interface RequestScope {
  http_version: '1.0' | '1.1' | '2';
  scheme: 'http' | 'https';
  path: string;
  raw_path: Uint8Array;
  query_string: Uint8Array;
  root_path: string;
  headers: Headers;
  client: Address;
  server: Address;
  traceparent: string;
}

/** The request target could not be read (bad percent-encoding): a 400. */
export class BadRequestTarget extends SwitchyardError {
  override readonly name = 'BadRequestTarget';
  override readonly code = 'SWITCHYARD_BAD_REQUEST_TARGET';
  override readonly status = 400;
  override readonly clientReason = 'bad request target';
}

const EMPTY = new Uint8Array(0);

/**
 * Header pairs in arrival order with lower-case names. HTTP/2 pseudo-headers are left out,
 * except `:authority`, which becomes `host` when the request has none (as RFC 9113 §8.3.1 asks).
 */
export function headerPairs(req: AnyRequest): Headers {
  const raw = req.rawHeaders;
  const pairs: Headers = [];
  let authority: string | undefined;
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':authority') authority = raw[i + 1];
      continue;
    }
    if (name === 'host') host = true;
    pairs.push([name, raw[i + 1]!]);
  }
  if (!host && authority !== undefined) pairs.unshift(['host', authority]);
  return pairs;
}

export function requestScope(req: AnyRequest, trustedProxies: ReadonlySet<string>, headers = headerPairs(req)): RequestScope {
  const target = req.url ?? '/';
  const pathStart = target.startsWith('/') ? 0 : absoluteFormPathStart(target);
  const q = target.indexOf('?', pathStart);
  const rawPath = q === -1 ? target.slice(pathStart) || '/' : target.slice(pathStart, q) || '/';
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new BadRequestTarget(`undecodable request path ${JSON.stringify(rawPath.slice(0, 100))}`);
  }
  const socket = (req as IncomingMessage).socket;
  const encrypted = Boolean((socket as { encrypted?: boolean } | undefined)?.encrypted);
  const direct = {
    host: normalizeAddress(socket?.remoteAddress ?? ''),
    port: socket?.remotePort ?? 0,
    scheme: encrypted ? ('https' as const) : ('http' as const),
  };
  const peer = resolvePeer(direct, (name) => joinedHeader(headers, name), trustedProxies);
  return {
    http_version: req.httpVersion === '2.0' ? '2' : req.httpVersion === '1.0' ? '1.0' : '1.1',
    scheme: peer.scheme,
    path,
    raw_path: Buffer.from(rawPath, 'latin1'),
    query_string: q === -1 ? EMPTY : Buffer.from(target.slice(q + 1), 'latin1'),
    root_path: '',
    headers,
    client: peer.host === '' ? null : [peer.host, peer.port],
    server: socket?.localAddress ? [normalizeAddress(socket.localAddress), socket.localPort ?? 0] : null,
    traceparent: traceparentOf(headers),
  };
}

/**
 * Every line of a header joined with ",", in order: a proxy appends its own line after
 * whatever the client sent, and the right-to-left walk must see it.
 */
function joinedHeader(headers: Headers, name: string): string | undefined {
  const values = headers.filter(([key]) => key === name).map(([, value]) => value);
  return values.length === 0 ? undefined : values.join(',');
}

/** The client's traceparent when it sent a valid one, else a new trace. */
function traceparentOf(headers: Headers): string {
  const given = headerValue(headers, 'traceparent');
  return isTraceparent(given) ? given.trim() : newTraceparent();
}

/** First value of a header, by lower-case name. */
export function headerValue(headers: Headers, name: string): string | undefined {
  for (const [key, value] of headers) if (key === name) return value;
  return undefined;
}

/** `http://host:80/path?q` (absolute-form, sent to proxies) → where `/path` starts. */
function absoluteFormPathStart(target: string): number {
  const scheme = target.indexOf('://');
  if (scheme === -1) return 0;
  const slash = target.indexOf('/', scheme + 3);
  return slash === -1 ? target.length : slash;
}
