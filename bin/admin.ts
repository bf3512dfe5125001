import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ChannelLayer } from '../channel-layer/index.js';

/** What the admin endpoints report on. */
export interface AdminTarget {
  layer: ChannelLayer;
  /** Served at /metrics (Prometheus text format). */
  registry: Registry;
  /** True while the process is starting or shutting down: not ready for new work. */
  draining(): boolean;
}

/**
 * Health endpoints for orchestrators (compose healthchecks, Kubernetes probes), on a port of
 * their own so they never compete with traffic:
 *
 *   GET /healthz  200 while the process is alive and its event loop answers
 *   GET /readyz   200 when the channel layer is reachable and the process is not draining, else 503
 *   GET /metrics  Prometheus metrics
 */
export async function startAdmin(host: string, port: number, target: AdminTarget, log: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return answer(res, 200, { status: 'ok' });
    if (path === '/metrics') {
      target.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': target.registry.contentType });
          res.end(text);
        },
        (error: Error) => answer(res, 500, { error: error.message }),
      );
      return;
    }
    if (path === '/readyz') {
      if (target.draining()) return answer(res, 503, { ready: false, reason: 'starting or draining' });
      if (!target.layer.available) return answer(res, 503, { ready: false, reason: 'channel layer unavailable' });
      return answer(res, 200, { ready: true });
    }
    answer(res, 404, { error: 'not found' });
  });
  server.listen(port, host);
  await once(server, 'listening');
  const { address, port: bound } = server.address() as AddressInfo;
  log.info({ admin: `http://${address}:${bound}` }, `admin endpoints on http://${address}:${bound} (/healthz, /readyz, /metrics)`);
  return server;
}

function answer(res: http.ServerResponse, status: number, body: object): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), 'cache-control': 'no-store' });
  res.end(bytes);
}
