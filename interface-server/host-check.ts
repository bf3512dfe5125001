/**
 * Allow-lists for the Host header (every request) and the Origin header (WebSocket
 * handshakes). Host entries: `*` (anything), `example.com` (exactly), `.example.com` (the
 * domain and its subdomains). Origin entries: see `originAllowed`.
 */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (hostHeader === undefined) return false;
  const host = stripPort(hostHeader.toLowerCase());
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern.startsWith('.') ? host === pattern.slice(1) || host.endsWith(pattern) : host === pattern;
  });
}

/**
 * Whether a WebSocket handshake's Origin may open a socket. Browsers send Origin on every
 * WebSocket handshake and pages cannot forge it, so this check is what stops a page of another
 * site from opening sockets with its visitor's cookies (cross-site WebSocket hijacking).
 * Accepted: no Origin at all (not a browser: `ws`, curl, native apps); the server's own
 * origin (the Origin's host and port equal to the Host header); and the entries of `allowed`:
 * `*` (any origin), a whole origin (`https://app.example.com`), or one on any port
 * (`http://localhost:*`).
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const given = origin.toLowerCase();
  if (hostHeader !== undefined && hostOf(given) === hostHeader.toLowerCase()) return true;
  return allowed.some((entry) => originMatches(given, entry.toLowerCase()));
}

function originMatches(origin: string, entry: string): boolean {
  if (entry === '*' || entry === origin) return true;
  if (!entry.endsWith(':*')) return false;
  const bare = entry.slice(0, -2);
  return origin === bare || (origin.startsWith(`${bare}:`) && /^\d+$/.test(origin.slice(bare.length + 1)));
}

/** `example.com:8000` of `https://example.com:8000`; '' for `null` and other non-URLs. */
function hostOf(origin: string): string {
  const at = origin.indexOf('://');
  return at === -1 ? '' : origin.slice(at + 3);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
