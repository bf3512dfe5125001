import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Headers } from '../../schemas/index.js';

/**
 * Answers an upgrade request with a plain HTTP response instead of a WebSocket (a refusal,
 * an error, or the worker's denial) and closes the connection.
 */
export function denyUpgrade(socket: Duplex, status: number, body: Uint8Array | string = '', headers: Headers = []): void {
  if (socket.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body ? `${body}\n` : '') : Buffer.from(body);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  const given = new Set(headers.map(([name]) => name));
  if (!given.has('content-type') && bytes.length > 0) lines.push('content-type: text/plain; charset=utf-8');
  for (const [name, value] of headers) {
    if (name !== 'content-length' && name !== 'connection') lines.push(`${name}: ${value.replace(/[\r\n]/g, ' ')}`);
  }
  lines.push(`content-length: ${bytes.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), bytes]));
}
