import type { Headers } from '../../schemas/index.js';
import type { AnyResponse } from '../listener.js';

/** Headers that describe one HTTP/1.1 connection; HTTP/2 forbids them (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/**
 * The worker's header pairs as Node wants them: one entry per name, repeated names as arrays
 * in their order (`set-cookie`). Transfer-Encoding is the server's business (it chunks when
 * no Content-Length is given).
 */
export function responseHeaders(pairs: Headers, http2: boolean): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    if (name === 'transfer-encoding' || (http2 && CONNECTION_SPECIFIC.has(name))) continue;
    const seen = headers[name];
    headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return headers;
}

/** A short plain-text answer from the server itself (errors, refusals). */
export function sendPlain(res: AnyResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), ...extra });
  res.end(body);
}
