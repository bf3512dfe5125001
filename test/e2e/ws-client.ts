import WebSocket from 'ws';

export interface Received {
  data: Buffer;
  binary: boolean;
  text: string;
}

/** A `ws` client that keeps every message it gets, for tests. */
export class WsClient {
  readonly received: Received[] = [];
  private readonly waiters = new Set<() => void>();
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData, binary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      this.received.push({ data: buffer, binary, text: buffer.toString('utf8') });
      this.notify();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
  }

  /** Opens `url`; rejects with the status if the handshake is refused. */
  static open(url: string, timeoutMs = 10_000): Promise<WsClient> {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const client = new WsClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`WebSocket handshake to ${url} refused with ${response.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Waits until at least `count` messages came, and returns the first `count`. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) after ${this.received.length} of ${count} messages`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`got ${this.received.length} of ${count} messages within ${timeoutMs} ms: ${JSON.stringify(this.received.map((m) => m.text))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
    return this.received.slice(0, count);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 3000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }

  private notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

/** The HTTP status a refused WebSocket handshake got (fails if the handshake succeeds). */
export function refusedHandshakeStatus(url: string, timeoutMs = 10_000): Promise<number> {
  const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      reject(new Error(`WebSocket handshake to ${url} succeeded`));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}
