import type { ChannelLayer, Delivery, WireMessage } from '../../channel-layer/index.js';
import { DEFAULT_RESPONSE_WINDOW } from '../../schemas/index.js';

/**
 * Scripted workers for interface-server tests: real loops on a real layer (memory or Redis),
 * speaking the message protocol by hand, so each test says exactly what the worker does.
 */
export interface ScriptedWorker {
  /** Events this worker has taken. */
  readonly taken: WireMessage[];
  stop(): Promise<void>;
}

type Message = WireMessage & Record<string, unknown>;

/** The worker side of one HTTP exchange. */
export class HttpIO {
  private channel: string | undefined;
  private readonly inbox: WireMessage[] = [];
  private window: number;
  private sent = 0;
  private credited = 0;
  disconnected = false;

  constructor(
    readonly layer: ChannelLayer,
    readonly request: Message,
  ) {
    const extensions = request.extensions as Record<string, { chunks?: number }> | undefined;
    this.window = extensions?.['http.response.window']?.chunks ?? DEFAULT_RESPONSE_WINDOW;
  }

  get reply(): string {
    return this.request.reply_channel as string;
  }

  send(message: WireMessage): Promise<void> {
    return this.layer.send(this.reply, message);
  }

  /** Registers this exchange's worker channel (for body, credit and disconnect) with `chunks` of body credit. */
  async pull(chunks: number): Promise<void> {
    this.channel ??= await this.layer.newChannel('x');
    await this.send({ type: 'http.request.pull', channel: this.channel, chunks });
  }

  /** The next message for this exchange's worker channel (body chunk, credit, disconnect). */
  async next(signal?: AbortSignal): Promise<WireMessage> {
    for (;;) {
      const queued = this.inbox.shift();
      if (queued !== undefined) return this.note(queued);
      const batch: Delivery[] = await this.layer.receive([this.channel!], { max: 16, signal });
      this.inbox.push(...batch.map((d) => d.message));
    }
  }

  /** The whole request body, pulled one chunk at a time. */
  async readBody(): Promise<Buffer> {
    const parts = [Buffer.from(this.request.body as Uint8Array)];
    if (!this.request.more_body) return parts[0]!;
    for (;;) {
      await this.pull(1);
      let message = await this.next();
      while (message.type !== 'http.request.body') {
        if (message.type === 'http.disconnect') throw new Error('client went away');
        message = await this.next();
      }
      parts.push(Buffer.from(message.body as Uint8Array));
      if (!message.more_body) return Buffer.concat(parts);
    }
  }

  start(status: number, headers: [string, string][] = []): Promise<void> {
    return this.send({ type: 'http.response.start', status, headers });
  }

  /** Sends a body chunk, waiting for credit when the window is used up. */
  async body(chunk: Uint8Array | string, more = false): Promise<void> {
    while (this.sent >= this.window + this.credited) {
      const message = await this.next();
      if (message.type === 'http.disconnect') throw new Error('client went away');
    }
    this.sent++;
    await this.send({ type: 'http.response.body', body: typeof chunk === 'string' ? Buffer.from(chunk) : chunk, more_body: more });
  }

  private note(message: WireMessage): WireMessage {
    if (message.type === 'http.response.credit') this.credited += message.chunks as number;
    if (message.type === 'http.disconnect') this.disconnected = true;
    return message;
  }
}

/** The worker side of one WebSocket event. */
export interface WebSocketIO {
  event: Message;
  /** State the server carried with the event. */
  state: Record<string, unknown> | undefined;
  send(message: WireMessage): Promise<void>;
  accept(subprotocol?: string | null, headers?: [string, string][]): Promise<void>;
  text(text: string): Promise<void>;
  bytes(bytes: Uint8Array): Promise<void>;
  close(code?: number, reason?: string): Promise<void>;
}

/** What a WebSocket script returns: new state, or 'no-done' to never finish (timeout tests). */
type WebSocketOutcome = Record<string, unknown> | void | 'no-done';

function loop(
  layer: ChannelLayer,
  channel: string,
  onEvent: (message: Message) => Promise<void>,
): ScriptedWorker {
  const stop = new AbortController();
  const taken: WireMessage[] = [];
  const pending = new Set<Promise<void>>();
  const running = (async () => {
    while (!stop.signal.aborted) {
      let batch: Delivery[];
      try {
        batch = await layer.receive([channel], { max: 16, signal: stop.signal });
      } catch {
        if (stop.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 20)); // the layer is down: try again
        continue;
      }
      for (const { message } of batch) {
        taken.push(message);
        const work = onEvent(message as Message).catch(() => {});
        pending.add(work);
        void work.finally(() => pending.delete(work));
      }
    }
  })();
  return {
    taken,
    async stop() {
      stop.abort();
      await running;
      await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 500))]);
    },
  };
}

/** A worker that runs `script` for every request on `channel` (default `http.request`). */
export function httpWorker(
  layer: ChannelLayer,
  script: (io: HttpIO) => Promise<void>,
  channel = 'http.request',
): ScriptedWorker {
  return loop(layer, channel, (request) => script(new HttpIO(layer, request)));
}

/**
 * A worker that runs `script` for every WebSocket event on `channel` (default `websocket`)
 * and then answers `websocket.done` with the state the script returned.
 */
export function websocketWorker(
  layer: ChannelLayer,
  script: (io: WebSocketIO) => Promise<WebSocketOutcome>,
  channel = 'websocket',
): ScriptedWorker {
  return loop(layer, channel, async (event) => {
    const reply = event.reply_channel as string;
    const send = (message: WireMessage): Promise<void> => layer.send(reply, message);
    const io: WebSocketIO = {
      event,
      state: event.state as Record<string, unknown> | undefined,
      send,
      accept: (subprotocol = null, headers = []) => send({ type: 'websocket.accept', subprotocol, headers }),
      text: (text) => send({ type: 'websocket.send', text }),
      bytes: (bytes) => send({ type: 'websocket.send', bytes }),
      close: (code = 1000, reason = '') => send({ type: 'websocket.close', code, reason }),
    };
    const outcome = await script(io);
    if (outcome === 'no-done') return;
    await send(outcome ? { type: 'websocket.done', state: outcome } : { type: 'websocket.done' });
  });
}

/**
 * A worker that is up but takes nothing (all its slots busy, say): its layer has received on
 * `channel`, so the server counts it as alive there and sends requests, which wait in the channel.
 */
export async function idleReceiver(layer: ChannelLayer, channel: string): Promise<void> {
  const stop = new AbortController();
  const receiving = layer.receive([channel], { signal: stop.signal }).catch(() => []);
  stop.abort();
  const taken = await receiving;
  if (taken.length > 0) throw new Error(`idleReceiver took ${taken.length} message(s) from ${channel}`);
  if ((await layer.hasReceivers(channel)) !== true) throw new Error(`the layer does not count ${channel} as received`);
}
