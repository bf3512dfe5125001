/**
 * State the framework apps share within one process (the test runner for the direct servers,
 * the dev process, the worker): what happened to a request (`record`), queried by another
 * request, and streams held open until another request releases them. Each test uses ids of
 * its own, so nothing here is ever reset.
 */

const events = new Map<string, string[]>();
const waiting = new Map<string, () => void>();
const released = new Set<string>();

/** Notes that `event` happened to the request with id `id` (a close, an abort). */
export function record(id: string, event: string): void {
  const list = events.get(id) ?? [];
  list.push(event);
  events.set(id, list);
}

export function eventsOf(id: string): string[] {
  return [...(events.get(id) ?? [])];
}

/** Resolves once `release(id)` is called (at once if it already was). */
export function waitRelease(id: string): Promise<void> {
  if (released.has(id)) return Promise.resolve();
  return new Promise((resolve) => waiting.set(id, resolve));
}

/** Releases the stream held under `id`; true if one was waiting for it. */
export function release(id: string): boolean {
  released.add(id);
  const wake = waiting.get(id);
  waiting.delete(id);
  wake?.();
  return wake !== undefined;
}

/** Request headers minus the ones that describe one connection (the adapter's differs). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te']);

/** `[name, value]` pairs from Node's rawHeaders: lower-case names, order kept, hop-by-hop left out. */
export function visibleHeaders(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name)) pairs.push([name, raw[i + 1]!]);
  }
  return pairs;
}

/** The same from a WHATWG Headers (sorted and joined by the Fetch API itself). */
export function visibleFetchHeaders(headers: Headers): [string, string][] {
  return [...headers].filter(([name]) => !HOP_BY_HOP.has(name));
}

/** A deterministic body of `size` bytes (printable, so a diff of a part reads well). */
export function generatedBody(size: number): Buffer {
  const line = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_\n');
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i += line.length) line.copy(body, i, 0, Math.min(line.length, size - i));
  return body;
}

/** The link header values every app's early hints carry. */
export const HINT_LINKS = ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script'];
