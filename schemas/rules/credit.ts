import { ProtocolViolation } from './protocol-violation.js';

/**
 * A window of credit: how many response body chunks a worker may send ahead of the client.
 * It starts at the `http.response.window` the server offers and grows by each
 * `http.response.credit`. The server counts what arrives against it (one more is a protocol
 * violation); the worker counts what it sends and waits while no room is left.
 */
export class CreditWindow {
  private used = 0;

  constructor(private granted: number) {}

  /** Chunks that may still go without more credit. */
  get room(): number {
    return this.granted - this.used;
  }

  /** Credit given back (`http.response.credit`). */
  grant(chunks: number): void {
    this.granted += chunks;
  }

  /** One chunk sent or received; a ProtocolViolation past the window. */
  use(): void {
    if (this.used >= this.granted) throw new ProtocolViolation(`at most ${this.granted} body chunks until "http.response.credit"`, 'http.response.body');
    this.used++;
  }
}
