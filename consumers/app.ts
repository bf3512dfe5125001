import type { ZodType } from 'zod';
import { compilePathPattern, type PathPattern, type WireMessage } from '../schemas/index.js';
import { parseDurableOptions, type DurableOptions, type DurableOptionsInput } from './durable/options.js';
import type { ChannelHandler, HttpHandler, Middleware, WebSocketConsumer } from './types.js';

interface HttpRoute {
  method: string;
  pattern: PathPattern;
  handler: HttpHandler;
  /** How logs name this consumer: `GET /users/:id`. */
  name: string;
}

interface WebSocketRoute {
  pattern: PathPattern;
  consumer: WebSocketConsumer;
  name: string;
}

export interface ChannelConsumer {
  name: string;
  handler: ChannelHandler;
  /** Messages are checked against this before the handler sees them. */
  schema?: ZodType | undefined;
  /** Set for durable channels: backed by a BullMQ queue, at least once, with retries. */
  durable?: DurableOptions | undefined;
}

/** What the interface server reads from an app, without running any consumer. */
export interface AppManifest {
  websocketPaths: string[];
  /** WebSocket routes the server may accept itself at once: no `connect` consumer, and an app without middleware. */
  websocketAcceptPaths: string[];
  static: { prefix: string; dir: string }[];
  channels: string[];
  durableChannels: string[];
}

/**
 * The application: routes from URL patterns to consumers for HTTP and WebSocket, consumers for
 * named channels, middleware around every consumer, lifespan hooks and static folders. One
 * module exports it; `switchyard dev|serve|worker` load that module.
 *
 *     const app = createApp();
 *     app.get('/hello', () => text('hello'));
 *     app.websocket('/ws/echo', { receive: (ctx, message) => ctx.send(message.text ?? message.bytes!) });
 *     export default app;
 */
/** Marks apps across copies of this package (source via tsx and dist/ may both be loaded). */
const APP_BRAND = Symbol.for('switchyard.app');

export class App {
  readonly [APP_BRAND] = true;
  readonly httpRoutes: HttpRoute[] = [];
  readonly websocketRoutes: WebSocketRoute[] = [];
  readonly channels = new Map<string, ChannelConsumer>();
  readonly middleware: Middleware[] = [];
  readonly startupHooks: (() => Promise<void> | void)[] = [];
  readonly shutdownHooks: (() => Promise<void> | void)[] = [];
  readonly staticFolders: { prefix: string; dir: string }[] = [];
  /** Groups that keep their recent messages (the layer's `groupHistory`), from `history`. */
  readonly groupHistory: { pattern: string | RegExp; size: number; maxAgeMs: number }[] = [];

  /**
   * Groups whose names match `pattern` (a name, a glob with `*`, a RegExp) keep their last `size`
   * messages, none older than `maxAgeMs`. A client that reconnects with the last position it
   * saw (switchyard/client) gets what it missed; one that cannot is told so.
   */
  history(pattern: string | RegExp, { size = 100, maxAgeMs = 300_000 }: { size?: number; maxAgeMs?: number } = {}): this {
    if (!(Number.isInteger(size) && size > 0 && size <= 100_000)) throw new RangeError(`history of ${String(pattern)}: size must be an integer from 1 to 100000, not ${size}`);
    if (!(Number.isInteger(maxAgeMs) && maxAgeMs > 0)) throw new RangeError(`history of ${String(pattern)}: maxAgeMs must be a positive integer, not ${maxAgeMs}`);
    this.groupHistory.push({ pattern, size, maxAgeMs });
    return this;
  }

  route(method: string, path: string, handler: HttpHandler): this {
    const upper = method.toUpperCase();
    this.httpRoutes.push({ method: upper, pattern: compilePathPattern(path), handler, name: `${upper === '*' ? 'ANY' : upper} ${path}` });
    return this;
  }

  get(path: string, handler: HttpHandler): this {
    return this.route('GET', path, handler);
  }
  post(path: string, handler: HttpHandler): this {
    return this.route('POST', path, handler);
  }
  put(path: string, handler: HttpHandler): this {
    return this.route('PUT', path, handler);
  }
  patch(path: string, handler: HttpHandler): this {
    return this.route('PATCH', path, handler);
  }
  delete(path: string, handler: HttpHandler): this {
    return this.route('DELETE', path, handler);
  }
  /** Every method: for mounting whole apps (adapters). */
  all(path: string, handler: HttpHandler): this {
    return this.route('*', path, handler);
  }

  websocket<State extends Record<string, unknown> = Record<string, unknown>>(path: string, consumer: WebSocketConsumer<State>): this {
    if (consumer.receive !== undefined && consumer.receiveJson !== undefined) {
      throw new TypeError(`websocket ${path}: give receive or receiveJson, not both`);
    }
    this.websocketRoutes.push({ pattern: compilePathPattern(path), consumer: consumer as unknown as WebSocketConsumer, name: `websocket ${path}` });
    return this;
  }

  /**
   * A consumer for messages sent to a named channel (`ctx.send('thumbnails', …)` from anywhere).
   * `durable` makes it a durable channel: at least once, retried with backoff, delays, a
   * dead-letter set (see DurableOptions); without it, at most once like the real-time path.
   */
  channel<M extends WireMessage = WireMessage>(
    name: string,
    handler: ChannelHandler<M>,
    options: { schema?: ZodType<M>; durable?: true | DurableOptionsInput } = {},
  ): this {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new TypeError(`invalid channel name ${JSON.stringify(name)}`);
    if (this.channels.has(name)) throw new TypeError(`channel "${name}" already has a consumer`);
    const durable = options.durable === undefined ? undefined : parseDurableOptions(name, options.durable);
    this.channels.set(name, { name, handler: handler as ChannelHandler, schema: options.schema, durable });
    return this;
  }

  /** Middleware runs around every consumer, outermost first (e.g. authentication). */
  use(middleware: Middleware): this {
    this.middleware.push(middleware);
    return this;
  }

  onStartup(hook: () => Promise<void> | void): this {
    this.startupHooks.push(hook);
    return this;
  }

  onShutdown(hook: () => Promise<void> | void): this {
    this.shutdownHooks.push(hook);
    return this;
  }

  /** A folder the interface server serves itself under `prefix`. */
  static(prefix: string, dir: string): this {
    this.staticFolders.push({ prefix, dir });
    return this;
  }

  manifest(): AppManifest {
    return {
      websocketPaths: this.websocketRoutes.map((route) => route.pattern.source),
      // Middleware runs on the connect event and may deny it: then every handshake is the workers' call.
      websocketAcceptPaths: this.middleware.length > 0 ? [] : this.websocketRoutes.filter((route) => route.consumer.connect === undefined).map((route) => route.pattern.source),
      static: [...this.staticFolders],
      channels: [...this.channels.keys()],
      durableChannels: [...this.channels.values()].filter((c) => c.durable !== undefined).map((c) => c.name),
    };
  }

  /** The HTTP route for a request: the first whose pattern and method match. */
  matchHttp(method: string, path: string): { route: HttpRoute; params: Record<string, string> } | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const route of this.httpRoutes) {
      const params = route.pattern.match(path);
      if (params === undefined) continue;
      if (route.method === '*' || route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }

  matchWebSocket(path: string): { route: WebSocketRoute; params: Record<string, string> } | undefined {
    for (const route of this.websocketRoutes) {
      const params = route.pattern.match(path);
      if (params !== undefined) return { route, params };
    }
    return undefined;
  }
}

export function createApp(): App {
  return new App();
}

/** Accepts an app module's default export, a named `app` export, or the module itself. */
export function appFromModule(module: Record<string, unknown>, where: string): App {
  for (const candidate of [module.default, module.app, (module.default as Record<string, unknown> | undefined)?.default]) {
    if (typeof candidate === 'object' && candidate !== null && (candidate as Record<symbol, unknown>)[APP_BRAND] === true) {
      return candidate as App;
    }
  }
  throw new TypeError(`${where} does not export a switchyard app (export default createApp()…)`);
}
