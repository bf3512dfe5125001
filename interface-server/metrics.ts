import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * A count kept as a plain number on the hot path and added to its prom-client child when the
 * registry is scraped (prom-client hashes and checks the labels on every inc(), even a bound
 * child's).
 */
class Tally {
  private pending = 0;
  constructor(private readonly child: Counter.Internal) {}

  add(by: number): void {
    this.pending += by;
  }

  flush(): void {
    if (this.pending === 0) return;
    this.child.inc(this.pending);
    this.pending = 0;
  }
}

/** The interface server's metrics, registered on the registry the admin port serves. */
export class ServerMetrics {
  readonly requests: Counter<'protocol' | 'code'>;
  readonly duration: Histogram<'protocol'>;
  readonly workerWait: Histogram<'protocol'>;
  readonly channelFull: Counter<'channel'>;
  readonly overloaded: Counter<'channel'>;
  private readonly messages: Counter<'channel' | 'direction'>;
  private readonly byChannel = new Map<string, { in: Tally; out: Tally }>();
  /** Children bound once per label set: a label lookup hashes its labels on every call. */
  private readonly byProtocol: Record<'http1' | 'h2', { byStatus: Map<number | string, Tally>; duration: Histogram.Internal<'protocol'>; workerWait: Histogram.Internal<'protocol'> }>;
  private readonly tallies: Tally[] = [];

  constructor(registry: Registry, openWebSockets: () => number) {
    const registers = [registry];
    const flush = (): void => {
      for (const tally of this.tallies) tally.flush();
    };
    this.requests = new Counter({ name: 'switchyard_http_requests_total', help: 'HTTP requests answered, by protocol and status code (`aborted`: the client left before the end)', labelNames: ['protocol', 'code'], registers, collect: flush });
    this.duration = new Histogram({ name: 'switchyard_http_request_duration_seconds', help: 'Time from request to the end of its response', labelNames: ['protocol'], buckets: SECONDS, registers });
    this.workerWait = new Histogram({ name: 'switchyard_http_worker_wait_seconds', help: 'Time from sending a request to the workers to the start of their response', labelNames: ['protocol'], buckets: SECONDS, registers });
    this.channelFull = new Counter({ name: 'switchyard_channel_full_total', help: 'Requests and WebSocket events refused because their channel was full', labelNames: ['channel'], registers });
    this.overloaded = new Counter({
      name: 'switchyard_http_overloaded_total',
      help: "HTTP requests answered 503 on arrival because their channel's workers could not have started them before the response timeout",
      labelNames: ['channel'],
      registers,
    });
    this.messages = new Counter({
      name: 'switchyard_server_messages_total',
      help: 'Messages sent to the workers (out) and received back (in), by the channel the request or connection is routed to',
      labelNames: ['channel', 'direction'],
      registers,
      collect: flush,
    });
    const bind = (protocol: 'http1' | 'h2') => ({
      byStatus: new Map<number | string, Tally>(),
      duration: this.duration.labels({ protocol }),
      workerWait: this.workerWait.labels({ protocol }),
    });
    this.byProtocol = { http1: bind('http1'), h2: bind('h2') };
    new Gauge({
      name: 'switchyard_websocket_connections',
      help: 'Open WebSocket connections',
      registers,
      collect() {
        this.set(openWebSockets());
      },
    });
  }

  /** One HTTP response closed: finished with `status`, or aborted before its end. */
  answered(protocol: 'http1' | 'h2', status: number | 'aborted', seconds: number): void {
    const bound = this.byProtocol[protocol];
    let tally = bound.byStatus.get(status);
    if (tally === undefined) bound.byStatus.set(status, (tally = this.tally(this.requests.labels({ protocol, code: String(status) }))));
    tally.add(1);
    bound.duration.observe(seconds);
  }

  /** Time from sending a request to the workers to the start of their response. */
  waitedForWorker(http2: boolean, seconds: number): void {
    this.byProtocol[http2 ? 'h2' : 'http1'].workerWait.observe(seconds);
  }

  /** Messages sent for work routed to `channel`: requests, events, body chunks, credit, disconnects. */
  sent(channel: string, count = 1): void {
    this.counters(channel).out.add(count);
  }

  /** Messages received back for work routed to `channel` (replies, and group messages for its connections). */
  received(channel: string, count: number): void {
    this.counters(channel).in.add(count);
  }

  // The channels are few (those of `routes`): a tally each, made on first use.
  private counters(channel: string): { in: Tally; out: Tally } {
    let counters = this.byChannel.get(channel);
    if (counters === undefined) {
      counters = { in: this.tally(this.messages.labels({ channel, direction: 'in' })), out: this.tally(this.messages.labels({ channel, direction: 'out' })) };
      this.byChannel.set(channel, counters);
    }
    return counters;
  }

  private tally(child: Counter.Internal): Tally {
    const tally = new Tally(child);
    this.tallies.push(tally);
    return tally;
  }
}
