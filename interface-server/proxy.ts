/**
 * Client address and scheme as seen through trusted proxies. Forwarded (RFC 7239) wins over
 * X-Forwarded-For / X-Forwarded-Proto. The chain is read right to left and the first hop that
 * is not a trusted proxy is the client, so a client cannot forge its way past the proxies.
 */
export interface Peer {
  host: string;
  port: number;
  scheme: 'http' | 'https';
}

export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

interface Hop {
  for?: string;
  proto?: string;
}

function parseForwarded(value: string): Hop[] {
  return value.split(',').map((element) => {
    const hop: Hop = {};
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      let val = pair.slice(eq + 1).trim();
      if (val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1);
      if (key === 'for' || key === 'proto') hop[key] = val;
    }
    return hop;
  });
}

/** `for=` values: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:80`, `unknown`. */
function hostOf(node: string): string {
  if (node.startsWith('[')) return node.slice(1, node.indexOf(']'));
  const colons = node.split(':').length - 1;
  return colons === 1 ? node.slice(0, node.indexOf(':')) : node;
}

export function resolvePeer(
  direct: Peer,
  header: (name: string) => string | undefined,
  trusted: ReadonlySet<string>,
): Peer {
  if (trusted.size === 0 || !trusted.has(direct.host)) return direct;
  let hops: Hop[];
  const forwarded = header('forwarded');
  if (forwarded !== undefined) {
    hops = parseForwarded(forwarded);
  } else {
    const chain = header('x-forwarded-for')?.split(',').map((s) => s.trim()) ?? [];
    const protos = header('x-forwarded-proto')?.split(',').map((s) => s.trim()) ?? [];
    hops = chain.map((address, i) => ({ for: address, proto: protos[i] ?? protos[protos.length - 1] }));
  }
  let peer = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (hop.for === undefined) break;
    const scheme = hop.proto === 'https' || hop.proto === 'http' ? hop.proto : peer.scheme;
    peer = { host: normalizeAddress(hostOf(hop.for)), port: 0, scheme };
    if (!trusted.has(peer.host)) break;
  }
  return peer;
}
