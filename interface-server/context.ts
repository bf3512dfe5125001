import type { Logger } from 'pino';
import type { ChannelLayer } from '../channel-layer/index.js';
import type { Backlog } from './http/backlog.js';
import type { InFlight } from './in-flight.js';
import type { ServerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';

/** What every exchange and WebSocket session of one server shares. */
export interface ServerContext {
  layer: ChannelLayer;
  options: ServerOptions;
  logger: Logger;
  trustedProxies: ReadonlySet<string>;
  /** The channel that takes this path's events (`routes`, longest prefix first). */
  channelFor(path: string, kind: 'http' | 'websocket'): string;
  /** Static folders, longest prefix first. */
  staticMounts: readonly { prefix: string; dir: string }[];
  /** Set when the server records metrics. */
  metrics: ServerMetrics | undefined;
  /** How far behind each channel's workers are: requests they cannot reach in time get 503 on arrival. */
  backlog: Backlog;
  /** Work that shutdown waits for. */
  inFlight: InFlight;
}

export function routeTable(options: ServerOptions): (path: string, kind: 'http' | 'websocket') => string {
  const routes = [...options.routes].sort((a, b) => b.prefix.length - a.prefix.length);
  return (path, kind) => {
    for (const route of routes) {
      const target = route[kind];
      if (target !== undefined && (path === route.prefix || path.startsWith(route.prefix))) return target;
    }
    return kind === 'http' ? options.httpChannel : options.websocketChannel;
  };
}
