import { z } from 'zod';

/** Bodies and binary frames: raw bytes (a Node Buffer is a Uint8Array), never base64. */
export const bytes = z.instanceof(Uint8Array, { message: 'expected bytes (Uint8Array)' });

/** Lower-case HTTP token characters (RFC 9110 tchar), as header names arrive from the servers. */
const headerName = z
  .string()
  .regex(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/, 'header names are lower-case HTTP tokens');

/** Headers as ordered `[name, value]` pairs: order and duplicates (`set-cookie`) are kept. */
export const headers = z.array(z.tuple([headerName, z.string()]));

/** `[host, port]` of a socket end; null when unknown (e.g. a Unix socket). */
export const address = z.tuple([z.string(), z.number().int().min(0).max(65535)]).nullable();

export const channelName = z.string().min(1).max(100);

export const httpVersion = z.enum(['1.0', '1.1', '2']);

/** Application state a consumer keeps for a connection; the interface server carries it. */
export const connectionState = z.record(z.string(), z.unknown());

/**
 * What HTTP requests and WebSocket connections share: where replies go and what the client
 * asked for. `path` is percent-decoded; `raw_path` and `query_string` are the bytes as sent.
 */
export const connectionScope = {
  reply_channel: channelName,
  http_version: httpVersion,
  path: z.string(),
  raw_path: bytes,
  query_string: bytes,
  root_path: z.string().default(''),
  headers,
  client: address,
  server: address,
  /** W3C trace context of the request (the client's, or one the server made). */
  traceparent: z.string().optional(),
};

export type Headers = z.infer<typeof headers>;
export type Address = z.infer<typeof address>;
