/**
 * Allow-lists for the Host header (every request) and the Origin header (WebSocket
 * handshakes). Entries: `*` (anything), `example.com` (exactly), `.example.com` (the domain
 * and its subdomains); origins are compared whole (`https://app.example.com`).
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

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (origin === undefined) return false;
  return allowed.some((entry) => entry.toLowerCase() === origin.toLowerCase());
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
