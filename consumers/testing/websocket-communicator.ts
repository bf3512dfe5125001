import {
  checkDone,
  checkWebsocketReply,
  DEFAULT_STATE_MAX_BYTES,
  EventSequence,
  parseWorkerToServer,
  type WebsocketPhase,
  type WireMessage,
} from '../../schemas/index.js';
import type { HeadersInit } from '../http/headers.js';
import { testScope } from './scope.js';
import type { TestBed } from './test-bed.js';

/** What the app sent to the client: a frame, or the end of the connection. */
export type TestFrame = { text: string } | { bytes: Buffer } | { close: { code: number; reason: string } };

export type ConnectResult =
  | { accepted: true; subprotocol: string | null; headers: [string, string][] }
  | { accepted: false; status: number; body: Buffer };

/** Protocol messages, as opposed to the app's own (a group's or a named channel's messages). */
const PROTOCOL_TYPE = /^(http|websocket|lifespan)\./;

/**
 * One WebSocket connection to the app without a network, sequenced the way the interface
 * server does it: each event (connect, frames, group messages, disconnect) goes out only when
 * the app finished the last, and the connection's state travels along. Every reply is checked
 * as the server checks it (schema, order, a subprotocol the client offered, the state's size):
 * where the server would close with 1011, the communicator's calls reject with the reason.
 *
 *     const ws = new WebSocketCommunicator(bed, '/ws/echo');
 *     expect((await ws.connect()).accepted).toBe(true);
 *     await ws.sendText('hi');
 *     expect(await ws.receive()).toEqual({ text: 'hi' });
 */
export class WebSocketCommunicator {
  private channel: string | undefined;
  private state: Record<string, unknown> | undefined;
  private phase: WebsocketPhase = 'connecting';
  /** The one-at-a-time rule, as the server keeps it (no backpressure here: the test is the client). */
  private readonly events = new EventSequence(Number.MAX_SAFE_INTEGER);
  /** Why the server would have closed the connection with 1011. */
  private violation: Error | undefined;
  private readonly frames: TestFrame[] = [];
  private readonly frameWaiters: { resolve: (frame: TestFrame) => void; reject: (error: Error) => void }[] = [];
  private decided: { resolve: (result: ConnectResult) => void; reject: (error: Error) => void } | undefined;
  private idle: { resolve: () => void; reject: (error: Error) => void } | undefined;
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
    const decision = new Promise<ConnectResult>((resolve, reject) => (this.decided = { resolve, reject }));
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
    if (this.violation !== undefined) return Promise.reject(this.violation);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (next: TestFrame) => {
          clearTimeout(timer);
          resolve(next);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      // A waiter that gave up leaves the line: the next frame goes to whoever asks next.
      const timer = setTimeout(() => {
        this.frameWaiters.splice(this.frameWaiters.indexOf(waiter), 1);
        reject(new Error(`nothing from the app within ${timeoutMs} ms`));
      }, timeoutMs);
      this.frameWaiters.push(waiter);
    });
  }

  /** Resolves once every event sent so far has been handled; rejects if the app broke the protocol. */
  settled(): Promise<void> {
    if (this.violation !== undefined) return Promise.reject(this.violation);
    if (!this.events.busy && this.events.waiting === 0) return Promise.resolve();
    return new Promise((resolve, reject) => (this.idle = { resolve, reject }));
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
    if (this.violation !== undefined) return; // the server would have closed the connection
    this.events.add(message, true);
    this.next();
  }

  private next(): void {
    if (this.events.busy) return;
    const event = this.events.next();
    if (event === undefined) {
      this.idle?.resolve();
      this.idle = undefined;
      return;
    }
    event.reply_channel = this.channel;
    if (this.state !== undefined) event.state = this.state;
    void this.bed.layer.send('websocket', event);
  }

  private async listen(channel: string): Promise<void> {
    try {
      for (;;) {
        for (const { message } of await this.bed.layer.receive([channel], { max: 16, signal: this.stop.signal })) {
          try {
            this.handle(message);
          } catch (error) {
            this.broke(error as Error);
          }
        }
      }
    } catch {
      // stopped
    }
  }

  private handle(raw: WireMessage): void {
    if (!PROTOCOL_TYPE.test(raw.type)) {
      this.enqueue({ ...raw }); // a group message: an event like the server makes it
      return;
    }
    const message = parseWorkerToServer(raw);
    checkWebsocketReply(this.phase, message, this.init.subprotocols ?? []);
    switch (message.type) {
      case 'websocket.accept':
        this.phase = 'open';
        this.decided?.resolve({ accepted: true, subprotocol: message.subprotocol, headers: message.headers });
        this.decided = undefined;
        return;
      case 'websocket.close':
        if (this.decided) {
          const body = message.body ?? '';
          this.decided.resolve({ accepted: false, status: message.status ?? 403, body: Buffer.from(body) });
          this.decided = undefined;
        } else {
          this.push({ close: { code: message.code ?? 1000, reason: message.reason ?? '' } });
        }
        this.phase = 'closing';
        return;
      case 'websocket.send':
        if (this.phase !== 'open') return; // after a close, the server drops it too
        if (this.channel !== undefined && message.except?.includes(this.channel)) return; // a broadcast that leaves this one out
        this.push(message.text !== undefined ? { text: message.text } : { bytes: Buffer.from(message.bytes!) });
        return;
      case 'websocket.done':
        checkDone(this.events, message.state, DEFAULT_STATE_MAX_BYTES);
        if (message.state !== undefined) this.state = message.state;
        if (this.decided) {
          this.decided.resolve({ accepted: false, status: 403, body: Buffer.alloc(0) });
          this.decided = undefined;
          this.phase = 'closing';
        }
        this.next();
        return;
    }
  }

  /** The app broke the protocol: the server would close with 1011; every pending call hears why. */
  private broke(error: Error): void {
    this.violation ??= error;
    this.events.abandon();
    this.decided?.reject(error);
    this.decided = undefined;
    this.idle?.reject(error);
    this.idle = undefined;
    for (const waiter of this.frameWaiters.splice(0)) waiter.reject(error);
  }

  private push(frame: TestFrame): void {
    const waiter = this.frameWaiters.shift();
    if (waiter) waiter.resolve(frame);
    else this.frames.push(frame);
  }
}
