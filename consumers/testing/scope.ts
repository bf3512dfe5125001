import { isTraceparent, newTraceparent } from '../../schemas/index.js';
import { headerPairs, type HeadersInit } from '../http/headers.js';

/**
 * What the interface server puts in `http.request` and `websocket.connect` for `target`, as
 * the communicators' stand-in for it: path and query as sent, a test host and addresses, and
 * the request's traceparent (or a new trace).
 */
export function testScope(target: string, init: HeadersInit | undefined) {
  const [path = '/', query = ''] = target.split('?', 2);
  const headers = headerPairs(init);
  if (!headers.some(([name]) => name === 'host')) headers.unshift(['host', 'testserver']);
  const given = headers.find(([name]) => name === 'traceparent')?.[1];
  return {
    http_version: '1.1' as const,
    path: decodeURIComponent(path),
    raw_path: Buffer.from(path, 'latin1'),
    query_string: Buffer.from(query, 'latin1'),
    root_path: '',
    headers,
    client: ['127.0.0.1', 50000] as [string, number],
    server: ['127.0.0.1', 80] as [string, number],
    traceparent: isTraceparent(given) ? given.trim() : newTraceparent(),
  };
}
