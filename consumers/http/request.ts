import type { HttpRequest as HttpRequestMessage } from '../../schemas/index.js';
import type { Lifetime } from '../runtime.js';
import type { ExchangeIO } from './exchange-io.js';
import { HeaderList } from './headers.js';
import { markLive } from './ready-body.js';

/**
 * The request as an HTTP consumer sees it. The body can be read once, whole (`bytes`,
 * `text`, `json`, `form`) or as a stream of chunks pulled from the server as they are read.
 */
export class HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly scheme: 'http' | 'https';
  readonly httpVersion: '1.0' | '1.1' | '2';
  readonly client: [string, number] | null;
  private bodyTaken = false;
  /** Made on first look: many handlers never read the query or the headers. */
  private parsedQuery: URLSearchParams | undefined;
  private headerList: HeaderList | undefined;

  constructor(
    private readonly message: HttpRequestMessage,
    private readonly io: ExchangeIO,
    readonly params: Record<string, string>,
    private readonly lifetime: Lifetime,
  ) {
    this.method = message.method;
    this.path = message.path;
    this.scheme = message.scheme;
    this.httpVersion = message.http_version;
    this.client = message.client;
  }

  /** The client's connection to the interface server is TLS (or a trusted proxy's was: X-Forwarded-Proto). */
  get secure(): boolean {
    return this.scheme === 'https';
  }

  /** HTTP/2 server push is possible on this request's stream (`ctx.push` then pushes). */
  get pushAvailable(): boolean {
    return this.message.extensions?.['http.response.push'] !== undefined;
  }

  /** 103 Early Hints reach this client (HTTP/1.1 and HTTP/2; not HTTP/1.0). */
  get earlyHintsAvailable(): boolean {
    return this.message.extensions?.['http.response.early_hints'] !== undefined;
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(Buffer.from(this.message.query_string).toString('latin1')));
  }

  get headers(): HeaderList {
    return (this.headerList ??= new HeaderList(this.message.headers));
  }

  /**
   * Aborted when the client goes away or the consumer's time is up. Asking for it is what
   * makes the server report a disconnect (one message), so handlers that never look pay nothing.
   */
  get signal(): AbortSignal {
    this.io.watchInBackground();
    return this.lifetime.signal;
  }

  /** W3C trace context: the client's traceparent, or one the interface server started. */
  get traceparent(): string | undefined {
    return this.message.traceparent;
  }

  /** Whether the request carries a body (some of it came, or more is coming). */
  get hasBody(): boolean {
    return this.message.body.length > 0 || this.message.more_body;
  }

  /** The request target exactly as the client sent it: raw path and query, still percent-encoded. */
  get target(): string {
    const raw = Buffer.from(this.message.raw_path).toString('latin1');
    const query = Buffer.from(this.message.query_string).toString('latin1');
    return query ? `${raw}?${query}` : raw;
  }

  /** The full URL, from the Host header (or the server address). */
  get url(): string {
    const host = this.headers.get('host') ?? (this.message.server ? `${this.message.server[0]}:${this.message.server[1]}` : 'localhost');
    return `${this.scheme}://${host}${this.target}`;
  }

  /** The body chunk by chunk; each chunk after the first is pulled from the server when asked for. */
  async *stream(): AsyncGenerator<Uint8Array> {
    if (this.bodyTaken) throw new TypeError('the request body was already read');
    this.bodyTaken = true;
    if (this.message.body.length > 0) yield this.message.body;
    let more = this.message.more_body;
    while (more) {
      const chunk = await this.io.nextBodyChunk();
      more = chunk.more;
      if (chunk.body.length > 0) yield chunk.body;
    }
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this.stream()) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async text(): Promise<string> {
    return Buffer.from(await this.bytes()).toString('utf8');
  }

  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  /** An `application/x-www-form-urlencoded` body. */
  async form(): Promise<URLSearchParams> {
    return new URLSearchParams(await this.text());
  }

  /** The request as a WHATWG `Request`, its body streamed from the server. */
  toRequest(): Request {
    const hasBody = this.method !== 'GET' && this.method !== 'HEAD';
    const headers = new globalThis.Headers();
    for (const [name, value] of this.headers.pairs) headers.append(name, value);
    const chunks = hasBody ? this.stream() : undefined;
    const body = chunks
      ? markLive(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              const next = await chunks.next();
              if (next.done) controller.close();
              else controller.enqueue(next.value);
            },
          }),
        )
      : null;
    return new Request(this.url, { method: this.method, headers, body, signal: this.signal, duplex: 'half' } as RequestInit);
  }
}
