import { z } from 'zod';
import { layerOptions, redisLayerOptions, refineHeartbeat } from '../../channel-layer/index.js';
import { workerOptions } from '../../consumers/index.js';
import { serverOptions } from '../../interface-server/index.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const port = z.number().int().min(0).max(65535);

/**
 * Everything the commands can be told, one section per component. Each section is that
 * component's own option schema (less what only code can pass: loggers, registries, callbacks),
 * so a setting means the same in a config file, a flag, an environment variable and in code.
 */
export const settingsSchema = z.strictObject({
  redis: z
    .strictObject({
      url: redisLayerOptions.shape.url,
      cluster: redisLayerOptions.shape.cluster,
      sentinels: redisLayerOptions.shape.sentinels,
      sentinelMaster: redisLayerOptions.shape.sentinelMaster,
      sentinelPassword: redisLayerOptions.shape.sentinelPassword,
      shards: redisLayerOptions.shape.shards,
      prefix: redisLayerOptions.shape.prefix,
    })
    .prefault({})
    .describe('The Redis that carries the channel layer and durable channels.'),
  layer: refineHeartbeat(
    layerOptions.omit({ processName: true }).extend({ inboxBatch: redisLayerOptions.shape.inboxBatch, outageGraceMs: redisLayerOptions.shape.outageGraceMs }),
    'layer.heartbeatIntervalMs',
  )
    .prefault({})
    .describe('The channel layer (`RedisLayer` and `MemoryLayer` options).'),
  server: serverOptions
    .omit({ tls: true, logger: true, metrics: true })
    .extend({
      tlsCert: z.string().min(1).optional().describe('PEM certificate file: serve HTTPS with HTTP/2 (with `tlsKey`)'),
      tlsKey: z.string().min(1).optional().describe('PEM private key file'),
    })
    .refine((server) => (server.tlsCert === undefined) === (server.tlsKey === undefined), {
      path: ['tlsKey'],
      message: 'server.tlsCert and server.tlsKey go together',
    })
    .prefault({})
    .describe('The interface server (`InterfaceServer` options; in code `tls: { cert, key }` takes the place of the two files).'),
  worker: workerOptions.omit({ logger: true, metrics: true, durable: true }).prefault({}).describe('The worker (`Worker` options).'),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info').describe('least severe level written'),
      format: z.enum(['json', 'pretty']).optional().describe('JSON lines for log pipelines, or pretty (one readable line per entry) for people'),
    })
    .prefault({})
    .describe('Logs (pino, on stdout).'),
  admin: z
    .strictObject({
      port: port.optional().describe('serve /healthz, /readyz and /metrics on this port; off when not set'),
      host: z.string().default('127.0.0.1').describe('address of the admin endpoints'),
    })
    .prefault({})
    .describe('Health and metrics endpoints, apart from traffic.'),
});

export type Settings = z.infer<typeof settingsSchema>;
