import { z } from 'zod';
import { layerOptions, type LayerOptionsInput } from '../options.js';

/** The Redis layer's options: the layer's own, and where Redis is. */
export const redisLayerOptions = layerOptions.extend({
  url: z
    .string()
    .refine(isRedisUrl, 'a redis:// or rediss:// URL with a host (and a numeric port, if any), or the path of a Unix socket')
    .default('redis://127.0.0.1:6379')
    .describe('Redis to use'),
  cluster: z
    .string()
    .regex(/^\s*[^,\s]+:\d{1,5}\s*(,\s*[^,\s]+:\d{1,5}\s*)*$/, 'host:port of one or more nodes, separated by commas')
    .optional()
    .describe('Redis Cluster: some of its nodes ("host:port,host:port"), from which the rest are found; `url` then gives only user, password and TLS'),
  sentinels: z
    .string()
    .regex(/^\s*[^,\s]+:\d{1,5}\s*(,\s*[^,\s]+:\d{1,5}\s*)*$/, 'host:port of each sentinel, separated by commas')
    .optional()
    .describe('Redis Sentinel: the sentinels to ask for the primary ("host:port,host:port"); `url` then gives only user, password, database and TLS'),
  shards: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'Redis Cluster: how many lists each channel is split into, one per slot range, so a busy channel loads every primary (default 3; set it to the number of primaries, the same on every process)',
    ),
  sentinelPassword: z.string().min(1).optional().describe('Redis Sentinel: the password the sentinels themselves require, if any (the primary\'s goes in `url`)'),
  sentinelMaster: z.string().min(1).default('mymaster').describe('Redis Sentinel: the name the sentinels know the primary by'),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,60}$/, 'letters, digits, "-", "_", "." only')
    .default('switchyard')
    .describe('namespace of every key, so apps and tests can share one Redis'),
  inboxBatch: z.number().int().positive().default(1000).describe('most envelopes the inbox reader takes from Redis per round trip (Redis layer only)'),
  outageGraceMs: z
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe("how long the holders of process-specific channels (open WebSockets, requests waiting for an answer) ride out a Redis outage before they are told it is lost (Redis layer only)"),
  onWarning: z
    .custom<(message: string, error?: unknown) => void>((v) => typeof v === 'function')
    .optional()
    .describe('called with a line when an unreadable message is dropped'),
});

export type RedisLayerOptions = z.infer<typeof redisLayerOptions>;
export type RedisLayerOptionsInput = LayerOptionsInput & z.input<typeof redisLayerOptions>;

/** What ioredis can connect to: a redis(s) URL, or a Unix socket path. */
function isRedisUrl(text: string): boolean {
  if (text.startsWith('/')) return true;
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}
