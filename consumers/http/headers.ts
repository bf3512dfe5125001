import type { Headers } from '../../schemas/index.js';

/** Request headers as they came: ordered pairs, lower-case names, duplicates kept. */
export class HeaderList {
  constructor(readonly pairs: Headers) {}

  /** The values of `name` joined with ", " (as HTTP allows), or undefined. */
  get(name: string): string | undefined {
    const values = this.getAll(name);
    return values.length === 0 ? undefined : values.join(', ');
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.pairs.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.pairs.some(([n]) => n === key);
  }

  /**
   * A cookie's value from the Cookie header(s): the first of that name, without the double
   * quotes RFC 6265 allows around it, percent-decoded when it decodes. Never throws: a
   * malformed header is the client's, and must not fail the request.
   */
  cookie(name: string): string | undefined {
    for (const header of this.getAll('cookie')) {
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq !== -1 && part.slice(0, eq).trim() === name) return cookieValue(part.slice(eq + 1).trim());
      }
    }
    return undefined;
  }
}

function cookieValue(raw: string): string {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // not percent-encoding after all (a bare % or a broken sequence): as sent
  }
}

/** Response headers from any of the usual shapes to ordered pairs. */
export type HeadersInit = [string, string][] | Record<string, string | string[]> | globalThis.Headers;

export function headerPairs(init: HeadersInit | undefined): [string, string][] {
  if (init === undefined) return [];
  if (Array.isArray(init)) return init.map(([n, v]) => [n.toLowerCase(), v]);
  if (init instanceof globalThis.Headers) {
    const pairs: [string, string][] = [];
    for (const [name, value] of init) if (name !== 'set-cookie') pairs.push([name, value]);
    for (const cookie of init.getSetCookie()) pairs.push(['set-cookie', cookie]);
    return pairs;
  }
  return Object.entries(init).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name.toLowerCase(), v]),
  );
}
