import { describe, expect, it } from 'vitest';
import {
  MessageValidationError,
  parseLifespan,
  parseServerToWorker,
  parseWorkerToServer,
  type ServerToWorkerInput,
} from '../../schemas/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function request(overrides: Partial<Record<string, unknown>> = {}): ServerToWorkerInput {
  return {
    type: 'http.request',
    reply_channel: 'server.abc!r1',
    http_version: '1.1',
    method: 'POST',
    scheme: 'http',
    path: '/echo',
    raw_path: bytes('/echo'),
    query_string: bytes('a=1'),
    headers: [
      ['host', 'example.test'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ],
    client: ['127.0.0.1', 50000],
    server: ['127.0.0.1', 8000],
    body: bytes('hello'),
    ...overrides,
  } as ServerToWorkerInput;
}

function failure(run: () => unknown): MessageValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof MessageValidationError) return error;
    throw error;
  }
  throw new Error('expected a MessageValidationError');
}

describe('message parsing', () => {
  it('parses an http.request, filling defaults and keeping duplicate headers in order', () => {
    const parsed = parseServerToWorker(request());
    expect(parsed.type).toBe('http.request');
    if (parsed.type !== 'http.request') throw new Error('narrowing');
    expect(parsed.more_body).toBe(false);
    expect(parsed.extensions).toEqual({});
    expect(parsed.headers.filter(([name]) => name === 'set-cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2']);
  });

  it('names the message type and the offending field', () => {
    const error = failure(() => parseServerToWorker(request({ headers: [['Host', 'x']] })));
    expect(error.messageType).toBe('http.request');
    expect(error.field).toBe('headers[0][0]');
    expect(error.message).toMatch(/^invalid "http.request" message: field "headers\[0\]\[0\]": header names are lower-case/);

    const status = failure(() => parseWorkerToServer({ type: 'http.response.start', status: 99 }));
    expect([status.messageType, status.field]).toEqual(['http.response.start', 'status']);

    const body = failure(() => parseWorkerToServer({ type: 'http.response.body', body: 'not bytes' }));
    expect([body.messageType, body.field, body.detail]).toEqual(['http.response.body', 'body', 'expected bytes (Uint8Array)']);
  });

  it('rejects unknown types and messages of the other direction', () => {
    expect(failure(() => parseWorkerToServer({ type: 'http.request' })).message).toMatch(
      /"http.request" message: field "type": not a worker-to-server message \(expected one of: http.request.pull, http.response.start/,
    );
    expect(failure(() => parseServerToWorker({ type: 42 })).field).toBe('type');
    expect(failure(() => parseServerToWorker('nope')).message).toBe('invalid message: expected an object with a "type"');
  });

  it('requires exactly one of text and bytes on websocket frames', () => {
    expect(parseWorkerToServer({ type: 'websocket.send', text: 'hi' })).toEqual({ type: 'websocket.send', text: 'hi' });
    expect(parseWorkerToServer({ type: 'websocket.send', bytes: Uint8Array.of(1) }).type).toBe('websocket.send');
    expect(failure(() => parseWorkerToServer({ type: 'websocket.send' })).field).toBe('text');
    expect(failure(() => parseWorkerToServer({ type: 'websocket.send', text: 'a', bytes: Uint8Array.of(1) })).field).toBe('text');
  });

  it('accepts only close codes an endpoint may send, and denial fields on close', () => {
    expect(parseWorkerToServer({ type: 'websocket.close' })).toEqual({ type: 'websocket.close', code: 1000, reason: '' });
    expect(parseWorkerToServer({ type: 'websocket.close', code: 4001, status: 401, body: bytes('no') }).type).toBe('websocket.close');
    for (const code of [999, 1005, 1006, 1015, 2000, 5000]) {
      expect(failure(() => parseWorkerToServer({ type: 'websocket.close', code })).field).toBe('code');
    }
  });

  it('refuses group operations as messages: they go through the channel layer (protocol 3)', () => {
    for (const type of ['group.add', 'group.discard', 'group.send']) {
      expect(failure(() => parseWorkerToServer({ type, group: 'room.1', channel: 'c', message: { type: 'chat' } })).field).toBe('type');
    }
  });

  it('parses lifespan events', () => {
    expect(parseLifespan({ type: 'lifespan.startup' })).toEqual({ type: 'lifespan.startup' });
    expect(failure(() => parseLifespan({ type: 'lifespan.reboot' })).field).toBe('type');
  });
});
