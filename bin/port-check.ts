import { createServer } from 'node:net';

/**
 * Fails the way listening would (EADDRINUSE, EACCES) when `host:port` cannot be bound, without
 * keeping it: `dev` checks its port before starting the worker, so a taken port is reported
 * before anything else has started. Port 0 (any free port) always can.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
