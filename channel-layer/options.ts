import { z } from 'zod';
import { parseOptions } from '../schemas/index.js';

/** A per-channel capacity: `pattern` is an exact name, a glob with `*`, or a RegExp. */
const capacityRule = z.strictObject({
  pattern: z.union([z.string().min(1), z.instanceof(RegExp)]),
  capacity: z.number().int().positive(),
});

/** A group pattern whose groups keep their recent messages (history.ts). */
const historyRule = z.strictObject({
  pattern: z.union([z.string().min(1), z.instanceof(RegExp)]),
  size: z.number().int().positive().max(100_000),
  maxAgeMs: z.number().int().positive(),
});

/**
 * Options every layer shares; the Redis layer adds its connection settings. Strict: a misspelt
 * option fails. The descriptions are the README's configuration reference.
 */
export const layerOptions = z.strictObject({
  expiryMs: z.number().int().positive().default(60_000).describe('messages not received within this time are dropped, never delivered late'),
  // The shared channels (`http.request`, `websocket`) take bursts from every connection: room
  // for a broadcast to a thousand members' consumers.
  capacity: z.number().int().positive().default(1000).describe('unexpired messages a channel holds before sends fail with ChannelFull (503)'),
  channelCapacity: z
    .array(capacityRule)
    .default([])
    .describe('`capacity` by channel, first match wins: `[{ "pattern": "api.*", "capacity": 5000 }]` (an exact name or a glob with `*`; in code also a RegExp)'),
  groupHistory: z
    .array(historyRule)
    .default([])
    .describe(
      'groups that keep their recent messages for members that reconnect, first match wins: `[{ "pattern": "room.*", "size": 100, "maxAgeMs": 300000 }]` (at most `size` messages, none older than `maxAgeMs`)',
    ),
  inboxCapacity: z.number().int().positive().default(10_000).describe("messages one process's inbox (all its process-specific channels) holds"),
  processName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, "-" and "_" only')
    .default('proc')
    .describe("first part of this process's channel names (`<processName>.<id>!<suffix>`)"),
  heartbeatIntervalMs: z.number().int().positive().default(10_000).describe('how often a process holding channels reports that it is alive'),
  heartbeatTimeoutMs: z.number().int().positive().default(35_000).describe('group members of a process silent this long are dropped; must exceed the interval'),
});

export type LayerOptions = z.infer<typeof layerOptions>;
export type LayerOptionsInput = z.input<typeof layerOptions>;

/** The two settings the heartbeat rule relates. */
type Heartbeat = Pick<LayerOptions, 'heartbeatIntervalMs' | 'heartbeatTimeoutMs'>;

/**
 * The heartbeat rule: a process's group members are dropped after `heartbeatTimeoutMs` of
 * silence, so the timeout must exceed the interval of its heartbeats. A refinement of any schema
 * that holds both settings, failing on `heartbeatTimeoutMs`; `interval` is the name of the
 * interval where that schema is used (a config file's `layer.heartbeatIntervalMs`).
 */
export function refineHeartbeat<S extends z.ZodType<Heartbeat>>(schema: S, interval = 'heartbeatIntervalMs'): S {
  return schema.refine((options) => options.heartbeatTimeoutMs > options.heartbeatIntervalMs, {
    path: ['heartbeatTimeoutMs'],
    message: `must exceed ${interval}`,
  });
}

const heartbeatRule = refineHeartbeat(z.custom<Heartbeat>());

/** A layer's options (`parseOptions`, then the heartbeat rule), or a TypeError naming what is wrong. */
export function parseLayerOptions<S extends z.ZodType<Heartbeat>>(schema: S, input: unknown, component: string): z.infer<S> {
  const options = parseOptions(schema, input, component);
  const rule = heartbeatRule.safeParse(options);
  if (!rule.success) throw new TypeError(`invalid ${component} options: heartbeatTimeoutMs ${rule.error.issues[0]!.message}`);
  return options;
}

/** Resolves a channel's capacity once and remembers it: rules are matched per name, not per send. */
export class CapacityTable {
  private readonly cache = new Map<string, number>();
  private readonly rules: { test: (name: string) => boolean; capacity: number }[];

  constructor(private readonly options: LayerOptions) {
    this.rules = options.channelCapacity.map(({ pattern, capacity }) => ({
      test: nameMatcher(pattern),
      capacity,
    }));
  }

  capacityOf(channel: string): number {
    let capacity = this.cache.get(channel);
    if (capacity === undefined) {
      capacity = this.rules.find((rule) => rule.test(channel))?.capacity ?? this.options.capacity;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(channel, capacity);
    }
    return capacity;
  }
}

/** A name pattern: an exact name, a glob with `*`, or a RegExp. */
export function nameMatcher(pattern: string | RegExp): (name: string) => boolean {
  return typeof pattern === 'string' ? globMatcher(pattern) : (name) => pattern.test(name);
}

function globMatcher(glob: string): (name: string) => boolean {
  if (!glob.includes('*')) return (name) => name === glob;
  const source = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  const regex = new RegExp(`^${source}$`);
  return (name) => regex.test(name);
}
