import type { ChannelLayer, WireMessage } from '../../channel-layer/index.js';
import { LayerClosed } from '../../channel-layer/index.js';

/** The client went away (`http.disconnect`). */
export class ClientDisconnected extends Error {
  override readonly name = 'ClientDisconnected';
  constructor() {
    super('the client disconnected');
  }
}

/**
 * The worker's side of one HTTP exchange beyond the first message: a channel of its own
 * (registered with the server by `http.request.pull` only when needed) on which the rest of
 * the request body, response credit and `http.disconnect` arrive.
 */
export class ExchangeIO {
  private channel: string | undefined;
  private readonly bodyChunks: WireMessage[] = [];
  /** Readers of the body and writers of the response may wait at the same time (an echo). */
  private readonly waiters = new Set<() => void>();
  private credited = 0;
  private sent = 0;
  private readonly window: number;
  private readonly disconnected = new AbortController();
  private listening: Promise<void> | undefined;

  constructor(
    private readonly layer: ChannelLayer,
    readonly reply: string,
    extensions: Record<string, Record<string, unknown>>,
    private readonly stop: AbortSignal,
  ) {
    this.window = Number(extensions['http.response.window']?.chunks ?? 16);
  }

  /** Aborted when the client goes away (once registered: see `watch`). */
  get clientGone(): AbortSignal {
    return this.disconnected.signal;
  }

  send(message: WireMessage): Promise<void> {
    return this.layer.send(this.reply, message);
  }

  /** Registers this exchange's channel so the server reports a disconnect. */
  async watch(): Promise<void> {
    await this.pull(0);
  }

  /** `watch()` without waiting: for getters that must return at once. */
  watchInBackground(): void {
    if (this.channel === undefined && !this.stop.aborted) this.watch().catch(() => {});
  }

  /** The next request body chunk (after the first, which came with the request). */
  async nextBodyChunk(): Promise<{ body: Uint8Array; more: boolean }> {
    await this.pull(1);
    for (;;) {
      const message = this.bodyChunks.shift();
      if (message !== undefined) return { body: message.body as Uint8Array, more: Boolean(message.more_body) };
      await this.waitForNews();
    }
  }

  /** Sends a response body chunk, waiting for credit when the server's window is used up. */
  async sendBody(body: Uint8Array, more: boolean): Promise<void> {
    if (more && this.sent + 1 >= this.window + this.credited) await this.watch();
    while (this.sent >= this.window + this.credited) await this.waitForNews();
    this.sent++;
    await this.send({ type: 'http.response.body', body, more_body: more });
  }

  /** Stops listening and forgets the channel. */
  close(): void {
    if (this.channel !== undefined) this.layer.releaseChannel(this.channel);
    this.notify();
  }

  private async pull(chunks: number): Promise<void> {
    if (this.channel === undefined) {
      this.channel = await this.layer.newChannel('x');
      this.listening = this.listen(this.channel);
    } else if (chunks === 0) {
      return; // already registered
    }
    await this.send({ type: 'http.request.pull', channel: this.channel, chunks });
  }

  private async listen(channel: string): Promise<void> {
    try {
      while (!this.stop.aborted) {
        for (const { message } of await this.layer.receive([channel], { max: 16, signal: this.stop })) {
          if (message.type === 'http.request.body') this.bodyChunks.push(message);
          else if (message.type === 'http.response.credit') this.credited += message.chunks as number;
          else if (message.type === 'http.disconnect') this.disconnected.abort(new ClientDisconnected());
        }
        this.notify();
      }
    } catch (error) {
      if (!this.stop.aborted && !(error instanceof LayerClosed)) this.disconnected.abort(error);
    }
    this.notify();
  }

  private notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private waitForNews(): Promise<void> {
    this.disconnected.signal.throwIfAborted();
    this.stop.throwIfAborted();
    if (this.listening === undefined) throw new Error('nothing to wait for: no channel registered');
    return new Promise<void>((resolve) => this.waiters.add(resolve)).then(() => {
      this.disconnected.signal.throwIfAborted();
      this.stop.throwIfAborted();
    });
  }
}
