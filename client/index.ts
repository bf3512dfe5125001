/**
 * switchyard/client: a WebSocket client for switchyard apps, in browsers and Node, with no
 * dependency but the platform's WebSocket (in Node 20, pass `ws`'s as `options.WebSocket`).
 *
 *   const client = new SwitchyardClient('wss://example.com/ws/chat/lobby');
 *   client.on('json', (line) => show(line));
 *   client.sendJson({ text: 'hi' });
 *
 * It reconnects by itself (exponential backoff with jitter), keeps what is sent while offline
 * (bounded) and sends it once back, and remembers its position in every group with history:
 * on reconnecting it names them, the server sends what it missed before anything new, and
 * messages it already has are dropped, so each arrives once and in order. When what it missed is
 * gone (too old, or the history was reset) it hears `unrecoverable` and can load afresh.
 */
import { reconnectDelay, worthReconnecting } from './backoff.js';
import { connectUrl, parseFrame, type GroupPosition } from './frames.js';

export type { GroupPosition } from './frames.js';
export { reconnectDelay, worthReconnecting } from './backoff.js';

/** What the client needs of a WebSocket: the browser's, Node 22's, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ClientOptions {
  /** The WebSocket class: `globalThis.WebSocket` unless given (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  protocols?: string[];
  /** First reconnect delay (ms); each attempt doubles it up to `maxDelayMs`, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Most messages kept while offline; `send` past it throws OfflineBufferFull. */
  bufferLimit?: number;
  /** Positions to start from (kept from an earlier page, say): what was missed since then comes first. */
  positions?: Record<string, GroupPosition>;
  /** Groups whose kept messages to get when joining them with no position yet (a page just loaded). */
  replay?: string[];
  /** Whether to reconnect after a close with `code`; by default not after one the app meant (1000, 3000–4999). */
  shouldReconnect?: (code: number) => boolean;
}

/** Where a message came from: its group and position, when it came through a group with history. */
export interface MessageMeta {
  group?: string;
  position?: GroupPosition;
}

export interface ClientEvents {
  open: () => void;
  /** A message: text, or binary as the platform gives it (ArrayBuffer in browsers, Buffer in Node). */
  message: (data: string | ArrayBuffer | Uint8Array, meta: MessageMeta) => void;
  /** A text message that is JSON, parsed. */
  json: (value: unknown, meta: MessageMeta) => void;
  /** The connection follows `group` from `position` on (after what it missed, when it could be recovered). */
  followed: (event: { group: string; position: GroupPosition }) => void;
  /** Messages of `group` were missed and cannot be recovered: load the state afresh. */
  unrecoverable: (event: { group: string; reason: string; position: GroupPosition }) => void;
  close: (event: { code: number; reason: string; reconnecting: boolean }) => void;
  reconnecting: (event: { attempt: number; delayMs: number }) => void;
}

export type ClientState = 'connecting' | 'open' | 'waiting' | 'closed';

export class OfflineBufferFull extends Error {
  override readonly name = 'OfflineBufferFull';
}

const OPEN = 1;
/** How long a connection must stay open for the reconnect delays to start over. */
const HELD_MS = 5_000;

export class SwitchyardClient {
  private socket: WebSocketLike | undefined;
  private readonly listeners = new Map<keyof ClientEvents, Set<(...args: never[]) => void>>();
  private readonly positionsByGroup = new Map<string, GroupPosition>();
  private readonly outbox: (string | ArrayBufferLike | ArrayBufferView)[] = [];
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private held: ReturnType<typeof setTimeout> | undefined;
  private current: ClientState = 'connecting';
  /** A binary frame's position, sent just before it. */
  private nextBinary: { group: string; position: GroupPosition } | undefined;
  private readonly options: Required<Omit<ClientOptions, 'positions' | 'replay' | 'protocols' | 'WebSocket'>> & Pick<ClientOptions, 'protocols'> & { WebSocket: WebSocketConstructor };

  constructor(
    private readonly url: string | URL,
    options: ClientOptions = {},
  ) {
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) throw new TypeError('no WebSocket here: pass one as options.WebSocket (in Node 20, `import WebSocket from "ws"`)');
    this.options = {
      WebSocket: WebSocketClass,
      protocols: options.protocols,
      minDelayMs: options.minDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      bufferLimit: options.bufferLimit ?? 1000,
      shouldReconnect: options.shouldReconnect ?? worthReconnecting,
    };
    // `*` asks for what the group keeps, whatever its epoch (history.ts ANY_EPOCH).
    for (const group of options.replay ?? []) this.positionsByGroup.set(group, { epoch: '*', offset: 0 });
    for (const [group, position] of Object.entries(options.positions ?? {})) this.positionsByGroup.set(group, { ...position });
    this.connect();
  }

  get state(): ClientState {
    return this.current;
  }

  /** The last position seen in each group with history: keep it to start a later client from it. */
  get positions(): Record<string, GroupPosition> {
    return Object.fromEntries([...this.positionsByGroup].map(([group, position]) => [group, { ...position }]));
  }

  /** Listens for `type`; returns the call that stops listening. */
  on<K extends keyof ClientEvents>(type: K, listener: ClientEvents[K]): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return () => this.off(type, listener);
  }

  off<K extends keyof ClientEvents>(type: K, listener: ClientEvents[K]): void {
    this.listeners.get(type)?.delete(listener as (...args: never[]) => void);
  }

  /** Sends now, or once connected again (in order); throws OfflineBufferFull past `bufferLimit`. */
  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.current === 'closed') throw new Error('this client is closed');
    if (this.socket?.readyState === OPEN && this.outbox.length === 0) {
      this.socket.send(data);
      return;
    }
    if (this.outbox.length >= this.options.bufferLimit) throw new OfflineBufferFull(`${this.outbox.length} messages already wait for the connection`);
    this.outbox.push(data);
  }

  sendJson(value: unknown): void {
    this.send(JSON.stringify(value));
  }

  /** Closes for good: no reconnect; what waits to be sent is dropped. */
  close(code = 1000, reason = ''): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    clearTimeout(this.timer);
    clearTimeout(this.held);
    this.outbox.length = 0;
    this.socket?.close(code, reason);
  }

  private connect(): void {
    this.current = 'connecting';
    const socket = new this.options.WebSocket(connectUrl(String(this.url), this.positionsByGroup), this.options.protocols);
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.current = 'open';
      // Backoff starts over only once a connection has held: a server that accepts and then
      // closes at once is not tried again at the shortest delay for ever.
      this.held = setTimeout(() => (this.attempt = 0), HELD_MS);
      this.emit('open');
      this.flush();
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.received(event.data);
    };
    socket.onerror = () => {}; // a close follows, and says what to do
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.nextBinary = undefined;
      clearTimeout(this.held);
      const reconnecting = this.current !== 'closed' && this.options.shouldReconnect(event.code);
      this.emit('close', { code: event.code, reason: event.reason, reconnecting });
      if (!reconnecting) {
        this.current = 'closed';
        return;
      }
      this.current = 'waiting';
      const delayMs = reconnectDelay(this.attempt, this.options.minDelayMs, this.options.maxDelayMs);
      this.emit('reconnecting', { attempt: ++this.attempt, delayMs });
      this.timer = setTimeout(() => this.connect(), delayMs);
    };
  }

  private flush(): void {
    const socket = this.socket;
    while (this.outbox.length > 0 && socket?.readyState === OPEN) socket.send(this.outbox.shift()!);
  }

  private received(data: unknown): void {
    if (typeof data !== 'string') {
      const at = this.nextBinary;
      this.nextBinary = undefined;
      if (at !== undefined && !this.advance(at.group, at.position)) return;
      this.emit('message', data as ArrayBuffer, at === undefined ? {} : { group: at.group, position: at.position });
      return;
    }
    const frame = parseFrame(data);
    switch (frame.kind) {
      case 'message':
        this.deliver(frame.text, {});
        return;
      case 'history':
        if (this.advance(frame.group, frame.position)) this.deliver(frame.text, { group: frame.group, position: frame.position });
        return;
      case 'position':
        this.nextBinary = { group: frame.group, position: frame.position };
        return;
      case 'advance':
        this.advance(frame.group, frame.position);
        return;
      case 'followed':
        this.positionsByGroup.set(frame.group, frame.position);
        if (frame.missed !== undefined) this.emit('unrecoverable', { group: frame.group, reason: frame.missed, position: frame.position });
        this.emit('followed', { group: frame.group, position: frame.position });
        return;
      default:
        this.deliver(data, {}); // a frame of no kind it knows: as it came
    }
  }

  /** Whether a group's message at `position` is new here (an older one was delivered already); notes it. */
  private advance(group: string, position: GroupPosition): boolean {
    const known = this.positionsByGroup.get(group);
    if (known !== undefined && known.epoch === position.epoch && position.offset <= known.offset) return false;
    this.positionsByGroup.set(group, position);
    return true;
  }

  private deliver(text: string, meta: MessageMeta): void {
    this.emit('message', text, meta);
    if (!this.listeners.get('json')?.size) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return; // not JSON: a 'message' only
    }
    this.emit('json', value, meta);
  }

  private emit<K extends keyof ClientEvents>(type: K, ...args: Parameters<ClientEvents[K]>): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        (listener as (...a: Parameters<ClientEvents[K]>) => void)(...args);
      } catch (error) {
        // A listener's bug must not stop the others, nor the client.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
