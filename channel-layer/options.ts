import { z } from 'zod';

/** A per-channel capacity: `pattern` is an exact name, a glob with `*`, or a RegExp. */
const capacityRule = z.object({
  pattern: z.union([z.string().min(1), z.instanceof(RegExp)]),
  capacity: z.number().int().positive(),
});

/** Options every layer shares; the Redis layer adds its connection settings. */
export const layerOptions = z.object({
  /** Messages not received within this many ms are dropped, never delivered late. */
  expiryMs: z.number().int().positive().default(60_000),
  /**
   * Unexpired messages one channel holds before `send` raises ChannelFull. The shared channels
   * (`http.request`, `websocket`) take bursts from every connection: room for a broadcast to
   * a thousand members' consumers.
   */
  capacity: z.number().int().positive().default(1000),
  /** Overrides of `capacity` by channel name; the first matching rule wins. */
  channelCapacity: z.array(capacityRule).default([]),
  /** Messages one process's inbox (all its process-specific channels together) may hold. */
  inboxCapacity: z.number().int().positive().default(10_000),
  /** Names this process's inbox: channels it creates are `<processName>.<id>!<suffix>`. */
  processName: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, "-" and "_" only').default('proc'),
  /** How often a process that holds channels tells the layer it is alive. */
  heartbeatIntervalMs: z.number().int().positive().default(10_000),
  /** Group members whose holding process has not been heard of for this long are dropped. */
  heartbeatTimeoutMs: z.number().int().positive().default(35_000),
});

export type LayerOptions = z.infer<typeof layerOptions>;
export type LayerOptionsInput = z.input<typeof layerOptions>;

export function parseLayerOptions<S extends z.ZodType>(schema: S, input: unknown, component: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new TypeError(`invalid ${component} option "${issue.path.join('.')}": ${issue.message}`);
  }
  const options = result.data as LayerOptions;
  if (options.heartbeatTimeoutMs <= options.heartbeatIntervalMs) {
    throw new TypeError(`invalid ${component} options: heartbeatTimeoutMs must exceed heartbeatIntervalMs`);
  }
  return result.data;
}

/** Resolves a channel's capacity once and remembers it: rules are matched per name, not per send. */
export class CapacityTable {
  private readonly cache = new Map<string, number>();
  private readonly rules: { test: (name: string) => boolean; capacity: number }[];

  constructor(private readonly options: LayerOptions) {
    this.rules = options.channelCapacity.map(({ pattern, capacity }) => ({
      test: typeof pattern === 'string' ? globMatcher(pattern) : (name: string) => pattern.test(name),
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

function globMatcher(glob: string): (name: string) => boolean {
  if (!glob.includes('*')) return (name) => name === glob;
  const source = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  const regex = new RegExp(`^${source}$`);
  return (name) => regex.test(name);
}
