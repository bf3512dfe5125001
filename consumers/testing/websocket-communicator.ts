import type { WireMessage } from '../../schemas/index.js';
import type { HeadersInit } from '../http/headers.js';
import { testScope } from './scope.js';
import type { TestBed } from './test-bed.js';

/** What the app sent to the client: a frame, or the end of the connection. */
export type TestFrame = { text: string } | { bytes: Buffer } | { close: { code: number; reason: string } };

export type ConnectResult =
  | { accepted: true; subprotocol: string | null; headers: [string, string][] }
  | { accepted: false; status: number; body: Buffer };

/**
 * One WebSocket connection to the app without a network, sequenced the way the interface
 * server does it: each event (connect, frames, group messages, disconnect) goes out only when
 * the app finished the last, and the connection's state travels along.
 *
 *     const ws = new WebSocketCommunicator(bed, '/ws/echo');
 *     expect((await ws.connect()).accepted).toBe(true);
 *     await ws.sendText('hi');
 *     expect(await ws.receive()).toEqual({ text: 'hi' });
 */
export class WebSocketCommunicator {
  private channel: string | undefined;
  private state: Record<string, unknown> | undefined;
  private readonly events: WireMessage[] = [];
  private busy = false;
  private readonly frames: TestFrame[] = [];
  private readonly frameWaiters: ((frame: TestFrame) => void)[] = [];
  private decided: ((result: ConnectResult) => void) | undefined;
  private idle: (() => void) | undefined;
  private closed = false;
  private stop = new AbortController();

  constructor(
    private readonly bed: TestBed,
    private readonly target: string,
    private readonly init: { headers?: HeadersInit; subprotocols?: string[] } = {},
  ) {}

  /** The connection's channel, as groups see it. */
  get replyChannel(): string {
    if (this.channel === undefined) throw new Error('not connected');
    return this.channel;
  }

  async connect(): Promise<ConnectResult> {
    await this.bed.start();
    this.channel = await this.bed.layer.newChannel('test-ws');
    void this.listen(this.channel);
    const decision = new Promise<ConnectResult>((resolve) => (this.decided = resolve));
    this.enqueue({
      type: 'websocket.connect',
      ...testScope(this.target, this.init.headers),
      scheme: 'ws',
      subprotocols: this.init.subprotocols ?? [],
    });
    return decision;
  }

  sendText(text: string): Promise<void> {
    return this.event({ type: 'websocket.receive', text });
  }

  sendBytes(bytes: Uint8Array): Promise<void> {
    return this.event({ type: 'websocket.receive', bytes });
  }

  /** The next frame (or close) the app sent; rejects after `timeoutMs`. */
  receive(timeoutMs = 5_000): Promise<TestFrame> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing from the app within ${timeoutMs} ms`)), timeoutMs);
      this.frameWaiters.push((next) => {
        clearTimeout(timer);
        resolve(next);
      });
    });
  }

  /** Resolves once every event sent so far has been handled. */
  settled(): Promise<void> {
    if (!this.busy && this.events.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  /** The client goes away: the app gets `websocket.disconnect`, then the connection is gone. */
  async disconnect(code = 1000, reason = ''): Promise<void> {
    if (this.closed) return;
    await this.event({ type: 'websocket.disconnect', code, reason });
    this.closed = true;
    this.stop.abort();
    this.bed.layer.releaseChannel(this.channel!);
  }

  private event(message: WireMessage): Promise<void> {
    this.enqueue(message);
    return this.settled();
  }

  private enqueue(message: WireMessage): void {
    this.events.push(message);
    this.next();
  }

  private next(): void {
    if (this.busy) return;
    const event = this.events.shift();
    if (event === undefined) {
      this.idle?.();
      this.idle = undefined;
      return;
    }
    this.busy = true;
    event.reply_channel = this.channel;
    if (this.state !== undefined) event.state = this.state;
    void this.bed.layer.send('websocket', event);
  }

  private async listen(channel: string): Promise<void> {
    try {
      for (;;) {
        for (const { message } of await this.bed.layer.receive([channel], { max: 16, signal: this.stop.signal })) this.handle(message);
      }
    } catch {
      // stopped
    }
  }

  private handle(message: WireMessage): void {
    switch (message.type) {
      case 'websocket.accept':
        this.decided?.({ accepted: true, subprotocol: (message.subprotocol as string | null) ?? null, headers: (message.headers as [string, string][]) ?? [] });
        this.decided = undefined;
        return;
      case 'websocket.close':
        if (this.decided) {
          this.decided({ accepted: false, status: (message.status as number | undefined) ?? 403, body: Buffer.from((message.body as Uint8Array | undefined) ?? []) });
          this.decided = undefined;
        } else {
          this.push({ close: { code: (message.code as number | undefined) ?? 1000, reason: (message.reason as string | undefined) ?? '' } });
        }
        return;
      case 'websocket.send':
        if (this.channel !== undefined && (message.except as string[] | undefined)?.includes(this.channel)) return; // a broadcast that leaves this one out
        this.push(message.text !== undefined ? { text: message.text as string } : { bytes: Buffer.from(message.bytes as Uint8Array) });
        return;
      case 'websocket.done':
        this.busy = false;
        if (message.state !== undefined) this.state = message.state as Record<string, unknown>;
        if (this.decided) {
          this.decided({ accepted: false, status: 403, body: Buffer.alloc(0) });
          this.decided = undefined;
        }
        this.next();
        return;
      default:
        if (!/^(http|websocket|group|lifespan)\./.test(message.type)) this.enqueue({ ...message }); // a group message: an event like the server makes it
    }
  }

  private push(frame: TestFrame): void {
    const waiter = this.frameWaiters.shift();
    if (waiter) waiter(frame);
    else this.frames.push(frame);
  }
}
