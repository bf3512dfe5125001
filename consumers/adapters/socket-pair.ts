import { Duplex } from 'node:stream';

/** What a Node app may read off `req.socket` (Express: `req.ip`, `req.protocol`). */
export interface SocketFacts {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
  encrypted: boolean;
}

/**
 * One end of an in-memory connection. What one end writes the other reads, with backpressure:
 * a write is acknowledged only once the other end has room. It carries the socket fields and
 * no-op socket methods Node's HTTP server and apps touch.
 */
class Endpoint extends Duplex {
  other!: Endpoint;
  private pendingAck: (() => void) | undefined;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly encrypted: boolean;

  constructor(facts: SocketFacts) {
    super({ allowHalfOpen: true });
    this.remoteAddress = facts.remoteAddress;
    this.remotePort = facts.remotePort;
    this.localAddress = facts.localAddress;
    this.localPort = facts.localPort;
    this.encrypted = facts.encrypted;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.other.push(chunk)) done();
    else this.other.pendingAckFor = done;
  }

  override _final(done: (error?: Error | null) => void): void {
    this.other.push(null);
    done();
  }

  override _read(): void {
    const ack = this.pendingAck;
    this.pendingAck = undefined;
    ack?.();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.destroy();
    done(error);
  }

  set pendingAckFor(ack: () => void) {
    this.pendingAck = ack;
  }

  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; port: number } | Record<string, never> {
    return this.localAddress === undefined ? {} : { address: this.localAddress, port: this.localPort ?? 0 };
  }
}

/** `[client end, server end]`; the server end reports the client's address as its remote. */
export function socketPair(facts: SocketFacts): [client: Duplex, server: Duplex] {
  const server = new Endpoint(facts);
  const client = new Endpoint({
    remoteAddress: facts.localAddress,
    remotePort: facts.localPort,
    localAddress: facts.remoteAddress,
    localPort: facts.remotePort,
    encrypted: facts.encrypted,
  });
  server.other = client;
  client.other = server;
  return [client, server];
}
