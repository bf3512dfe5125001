import type { ChannelLayer, Recipient, WireMessage } from '../../channel-layer/index.js';
import { CreditWindow, DEFAULT_RESPONSE_WINDOW, parseWorkerToServer, SwitchyardError } from '../../schemas/index.js';
import type { Lifetime } from '../runtime.js';

/** The client went away (`http.disconnect`). */
export class ClientDisconnected extends SwitchyardError {
  override readonly name = 'ClientDisconnected';
  override readonly code = 'SWITCHYARD_CLIENT_DISCONNECTED';
  constructor() {
    super('the client disconnected');
  }
}

/**
 * The worker's side of one HTTP exchange beyond the first message: a channel of its own
 * (registered with the server by `http.request.pull` only when needed) on which the rest of
 * the request body, response credit and `http.disconnect` arrive. It is that channel's
 * recipient; a disconnect ends the consumer's lifetime.
 */
export class ExchangeIO implements Recipient {
  private channel: string | undefined;
  /** Made on first use: most exchanges never stream. */
  private bodyChunks: WireMessage[] | undefined;
  /** Readers of the body and writers of the response may wait at the same time (an echo). */
  private waiters: (() => void)[] | undefined;
  private responseStarted = false;
  /** Body chunks this worker may still send before the server gives credit back. */
  private readonly credit: CreditWindow;

  constructor(
    private readonly layer: ChannelLayer,
    readonly reply: string,
    extensions: Record<string, Record<string, unknown>>,
    private readonly lifetime: Lifetime,
  ) {
    this.credit = new CreditWindow(Number(extensions['http.response.window']?.chunks ?? DEFAULT_RESPONSE_WINDOW));
  }

  /** The response has started: a start or a whole response went to the server. */
  get started(): boolean {
    return this.responseStarted;
  }

  /**
   * Sends a reply to the server, checked first with the schema the server applies: an invalid
   * one throws here (MessageValidationError, naming type and field) and never leaves, so the
   * consumer fails with the reason in this worker's log and the client gets the usual 500.
   */
  send(message: WireMessage): Promise<void> {
    parseWorkerToServer(message);
    if (message.type === 'http.response.start' || message.type === 'http.response') this.responseStarted = true;
    return this.layer.send(this.reply, message);
  }

  /** Registers this exchange's channel so the server reports a disconnect. */
  async watch(): Promise<void> {
    await this.pull(0);
  }

  /** `watch()` without waiting: for getters that must return at once. */
  watchInBackground(): void {
    if (this.channel === undefined && !this.lifetime.over) this.watch().catch(() => {});
  }

  /** The next request body chunk (after the first, which came with the request). */
  async nextBodyChunk(): Promise<{ body: Uint8Array; more: boolean }> {
    await this.pull(1);
    for (;;) {
      const message = this.bodyChunks?.shift();
      if (message !== undefined) return { body: message.body as Uint8Array, more: Boolean(message.more_body) };
      await this.waitForNews();
    }
  }

  /** Sends a response body chunk, waiting for credit when the server's window is used up. */
  async sendBody(body: Uint8Array, more: boolean): Promise<void> {
    // The last chunk of the window: the server must know where to send credit.
    if (more && this.credit.room <= 1) await this.watch();
    while (this.credit.room <= 0) await this.waitForNews();
    this.credit.use();
    await this.send({ type: 'http.response.body', body, more_body: more });
  }

  deliver(message: WireMessage): void {
    if (message.type === 'http.request.body') (this.bodyChunks ??= []).push(message);
    else if (message.type === 'http.response.credit') this.credit.grant(message.chunks as number);
    else if (message.type === 'http.disconnect') this.lifetime.end(new ClientDisconnected());
    this.notify();
  }

  lost(error: Error): void {
    this.channel = undefined;
    this.lifetime.end(error);
    this.notify();
  }

  /** A message from the server that could not be read (a body chunk, a credit): the exchange cannot go on. */
  unreadable(error: Error): void {
    this.lifetime.end(error);
    this.notify();
  }

  /** Stops listening and forgets the channel. */
  close(): void {
    if (this.channel !== undefined) this.layer.releaseChannel(this.channel);
    this.channel = undefined;
    this.notify();
  }

  private async pull(chunks: number): Promise<void> {
    if (this.channel === undefined) this.channel = this.layer.openChannel(this, 'x');
    else if (chunks === 0) return; // already registered
    await this.send({ type: 'http.request.pull', channel: this.channel, chunks });
  }

  private notify(): void {
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    for (const wake of waiters) wake();
  }

  private async waitForNews(): Promise<void> {
    if (this.lifetime.over) throw this.lifetime.reason;
    if (this.channel === undefined) throw new Error('nothing to wait for: no channel registered');
    await new Promise<void>((resolve) => (this.waiters ??= []).push(resolve));
    if (this.lifetime.over) throw this.lifetime.reason;
  }
}
