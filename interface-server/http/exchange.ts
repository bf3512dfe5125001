import type { ServerResponse } from 'node:http';
import { ChannelFull, deadlines, UNORDERED, type Expiring, type Recipient } from '../../channel-layer/index.js';
import {
  CreditWindow,
  httpPhaseAfter,
  parseWorkerToServer,
  type HttpReplyPhase,
  type HttpResponse,
  type HttpResponseBody,
  type HttpResponsePush,
  type HttpResponseStart,
  type WireMessage,
} from '../../schemas/index.js';
import type { ServerContext } from '../context.js';
import { BodyTooLarge, logFailure, NoWorker, outcomeOf, Overloaded, ProtocolViolation, RequestTimeout, ResponseAborted, WorkerTimeout } from '../failures.js';
import type { AnyResponse } from '../listener.js';
import type { ChannelBacklog } from './backlog.js';
import type { BodyReader } from './body-reader.js';
import { refuseOversizedBody, refuseSlowBody } from './refuse-body.js';
import { responseHeaders, sendPlain } from './respond.js';
import type { RequestScope } from './scope.js';

/** What the exchange sends on: the request as read so far. */
export interface Inbound {
  method: string;
  scope: RequestScope;
  first: { body: Buffer; more: boolean };
  /** Absent for requests the server made up itself (pushed resources). */
  body?: BodyReader;
  /** Push is allowed on this HTTP/2 stream; otherwise push becomes early hints. */
  pushAllowed: boolean;
}

/**
 * One HTTP request and its response, spoken as messages:
 *
 *   server                                   worker
 *   http.request (first chunk) ───────────▶
 *                         ◀──────────────── http.request.pull {channel, chunks}   (optional)
 *   http.request.body × chunks ───────────▶ channel
 *                         ◀──────────────── http.response.early_hints / push     (optional)
 *                         ◀──────────────── http.response.start
 *                         ◀──────────────── http.response.body × n (more_body…)
 *                         (or, for a whole response, one http.response instead of the two)
 *   http.response.credit ─────────────────▶ channel, as the client takes the bytes
 *   http.disconnect ──────────────────────▶ channel, if the client leaves early
 *
 * States: waiting (for the start) → streaming (the body) → done. A message that does not fit
 * the state, or fails its schema, ends the exchange with a 500 (or a cut-off response).
 *
 * The exchange is the recipient of its reply channel: the layer's one reader of the process's
 * inbox hands it each reply, and the process's deadline wheel times it out. Nothing waits per
 * request: no receive, no promise, no timer of its own.
 */
export class HttpExchange implements Recipient, Expiring {
  private state: HttpReplyPhase = 'waiting';
  /** The deadline wheel's handle, and what missing it means. */
  private deadline = 0;
  private lateWhy = '';
  private lateMs = 0;
  private reply = '';
  private pullChannel: string | undefined;
  private bodyCredit = 0;
  private pumping = false;
  /** Response body chunks the worker may send ahead of the client. */
  private readonly window: CreditWindow;
  /** Chunks the client has taken that were not yet credited back to the worker. */
  private creditOwed = 0;
  private wroteBody = false;
  private sentAt = 0;
  /** An HTTP/1.x 103 went out (or was queued) before the head. */
  private hinted = false;
  /** Body chunks written to a client that has not taken them yet. */
  private undrained = 0;
  /** The channel's backlog, while this request counts in it (sent, no response start yet). */
  private waitingIn: ChannelBacklog | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly res: AnyResponse,
    private readonly inbound: Inbound,
    private readonly target: string,
  ) {
    this.window = new CreditWindow(ctx.options.limits.responseWindow);
  }

  /** Sends the request to the workers; from here on, replies, the client and the clock drive it. */
  start(): void {
    this.res.on('close', this.onClose); // 'close' comes once; `once` would wrap it per request
    if (!this.ctx.backlog.of(this.target).admits()) {
      this.fail(new Overloaded(this.target));
      return;
    }
    const known = this.ctx.layer.hasReceivers(this.target);
    if (known === true) this.send();
    else known.then((some) => (some ? this.send() : this.fail(new NoWorker(this.target))), this.onSendFailed);
  }

  /** The request goes to the workers, and the clock starts. */
  private send(): void {
    if (this.state === 'done') return; // the client left while the server looked for workers
    const { layer, options } = this.ctx;
    try {
      this.reply = layer.openChannel(this, 'http');
    } catch (error) {
      this.fail(error);
      return;
    }
    this.sentAt = performance.now();
    this.arm(options.limits.responseTimeoutMs, 'no response started');
    // A new request: no order with the ones before it, so a sharded layer may spread it.
    layer.send(this.target, this.requestMessage(), UNORDERED).then(this.countSent, this.onSendFailed);
    this.waitingIn = this.ctx.backlog.of(this.target);
    this.waitingIn.sent();
  }

  /** The request no longer waits for its start: `served` after `tookMs`, or ended some other way. */
  private settle(served: boolean, tookMs?: number): void {
    this.waitingIn?.settled(served, tookMs);
    this.waitingIn = undefined;
  }

  private readonly countSent = (): void => this.ctx.metrics?.sent(this.target);

  private readonly onSendFailed = (error: unknown): void => this.fail(error);

  deliver(message: WireMessage): void {
    if (this.state === 'done') return;
    this.ctx.metrics?.received(this.target, 1);
    try {
      this.handle(message);
    } catch (error) {
      this.fail(error);
    }
  }

  lost(error: Error): void {
    this.reply = ''; // the layer has forgotten it already
    this.fail(error);
  }

  /** A reply that could not be read: 500 at once (and the log says why), not a 504 later. */
  unreadable(error: Error): void {
    if (this.state !== 'done') this.fail(error);
  }

  expire(): void {
    this.deadline = 0;
    this.fail(new WorkerTimeout(`${this.lateWhy} within ${this.lateMs} ms`));
  }

  /** Everything the exchange holds goes, whichever way it ended. */
  private finish(): void {
    this.state = 'done';
    this.settle(false);
    deadlines.cancel(this, this.deadline);
    this.deadline = 0;
    this.res.off('close', this.onClose);
    this.res.off('drain', this.onDrain);
    if (this.reply !== '') this.ctx.layer.releaseChannel(this.reply);
    this.reply = '';
    this.inbound.body?.discardRest();
  }

  private requestMessage(): WireMessage {
    const { method, scope, first, pushAllowed } = this.inbound;
    const extensions: Record<string, Record<string, unknown>> = {
      'http.response.window': { chunks: this.ctx.options.limits.responseWindow },
    };
    if (pushAllowed) extensions['http.response.push'] = {};
    if (scope.http_version !== '1.0') extensions['http.response.early_hints'] = {};
    return {
      type: 'http.request',
      reply_channel: this.reply,
      ...scope,
      method,
      body: first.body,
      more_body: first.more,
      extensions,
      deadline: Date.now() + this.ctx.options.limits.responseTimeoutMs,
    };
  }

  private handle(raw: WireMessage): void {
    const message = parseWorkerToServer(raw);
    httpPhaseAfter(this.state, message); // the order rule: throws when it cannot come now
    switch (message.type) {
      case 'http.request.pull':
        this.pullChannel = message.channel;
        this.bodyCredit += message.chunks;
        this.giveCredit(0);
        void this.pump();
        return;
      case 'http.response.early_hints':
        this.earlyHints(message.links, message.headers);
        return;
      case 'http.response.push':
        this.push(message);
        return;
      case 'http.response.start':
        this.head(message);
        return;
      case 'http.response':
        this.whole(message);
        return;
      case 'http.response.body':
        this.window.use();
        this.body(message);
        return;
      case 'http.response.abort':
        throw new ResponseAborted(message.reason);
      default:
        return; // not an HTTP reply: httpPhaseAfter has thrown already
    }
  }

  private head(message: HttpResponseStart): void {
    this.writeHead(message.status, message.headers);
    this.state = 'streaming';
    this.arm(this.ctx.options.limits.responseIdleTimeoutMs, 'response stalled');
    // A body sent with the start arrives with it (one batch from the layer); if none has by the
    // end of this turn, the head goes out alone.
    queueMicrotask(this.headAlone);
  }

  /** A whole response: its head and body in one write. */
  private whole(message: HttpResponse): void {
    this.writeHead(message.status, message.headers);
    this.wroteBody = message.body.length > 0 && this.inbound.method !== 'HEAD';
    this.finish();
    if (this.wroteBody) (this.res as ServerResponse).end(message.body);
    else this.res.end();
  }

  private writeHead(status: number, headers: [string, string][]): void {
    const tookMs = performance.now() - this.sentAt;
    this.settle(status !== 503, tookMs); // a 503 is a refusal, not the workers' capacity
    this.ctx.metrics?.waitedForWorker(this.inbound.scope.http_version === '2', tookMs / 1000);
    this.res.writeHead(status, responseHeaders(headers, this.inbound.scope.http_version === '2'));
    // Node queues a response's output while the one before it on the connection is still going,
    // and a head sent with a first chunk of bytes jumps to the front of that queue, ahead of the
    // 103 (which the client then reads as body). A string write queues the head behind it.
    if (this.hinted) (this.res as ServerResponse).write('', 'latin1');
  }

  private readonly headAlone = (): void => {
    if (this.state === 'streaming' && !this.wroteBody) this.sendHead();
  };

  /**
   * Sends the head now when no body came with it: a server-sent events stream starts here.
   * On HTTP/1.x an empty write does it, as Latin-1 like any head (flushHeaders would write
   * UTF-8 and mangle header values such as "café"); HTTP/2 and body-less answers flush.
   */
  private sendHead(): void {
    const res = this.res as ServerResponse;
    const bodyless = this.inbound.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
    if (this.inbound.scope.http_version !== '2' && !bodyless) res.write('', 'latin1');
    else res.flushHeaders?.();
  }

  // One listener for all the chunks waiting on the client: a drain means they have all gone.
  private readonly onDrain = (): void => {
    const chunks = this.undrained;
    this.undrained = 0;
    this.giveCredit(chunks);
  };

  private body(message: HttpResponseBody): void {
    const bytes = message.body.length > 0 && this.inbound.method !== 'HEAD';
    if (!message.more_body) {
      // The last chunk goes out with the end: one write for a whole response.
      this.wroteBody ||= bytes;
      this.finish();
      if (bytes) (this.res as ServerResponse).end(message.body);
      else this.res.end();
      return;
    }
    if (bytes) {
      this.wroteBody = true;
      if ((this.res as ServerResponse).write(message.body)) this.giveCredit(1);
      else if (this.undrained++ === 0) this.res.once('drain', this.onDrain);
    } else {
      this.giveCredit(1);
    }
    this.arm(this.ctx.options.limits.responseIdleTimeoutMs, 'response stalled');
  }

  /** A message to the worker's pull channel (set once the worker has asked for the body or taken credit). */
  private toWorker(message: WireMessage): Promise<void> {
    const sending = this.ctx.layer.send(this.pullChannel!, message);
    const metrics = this.ctx.metrics;
    return metrics === undefined ? sending : sending.then(() => metrics.sent(this.target));
  }

  /** Credit goes back in batches of half the window, to the worker's pull channel. */
  private giveCredit(chunks: number): void {
    this.creditOwed += chunks;
    const batch = Math.max(1, this.ctx.options.limits.responseWindow >> 1);
    if (this.pullChannel === undefined || this.creditOwed < batch || this.state === 'done') return;
    const credit = this.creditOwed;
    this.creditOwed = 0;
    this.window.grant(credit);
    this.toWorker({ type: 'http.response.credit', chunks: credit }).catch((error: unknown) => this.fail(error));
  }

  /** Sends body chunks to the pull channel while the worker has credit: the request's flow control. */
  private async pump(): Promise<void> {
    const body = this.inbound.body;
    if (this.pumping || body === undefined || !this.inbound.first.more) return;
    this.pumping = true;
    try {
      while (this.bodyCredit > 0 && !body.finished && this.state !== 'done') {
        const chunk = await body.next();
        this.bodyCredit--;
        await this.toWorker({ type: 'http.request.body', body: chunk.body, more_body: chunk.more });
      }
    } catch (error) {
      if (this.state !== 'done') this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  private earlyHints(links: string[], headers: [string, string][] = []): void {
    if (this.inbound.scope.http_version === '1.0') return; // 1.0 clients do not expect 1xx
    try {
      this.res.writeEarlyHints({ ...responseHeaders(headers, this.inbound.scope.http_version === '2'), link: links });
      this.hinted = this.inbound.scope.http_version !== '2';
    } catch (error) {
      // Hints are optional: one Node refuses is dropped, the response goes on.
      this.ctx.logger.warn({ channel: this.target, err: error }, `dropped early hints from the worker for ${this.target}: ${(error as Error).message}`);
    }
  }

  /** HTTP/2 push where the client allows it; a preload hint otherwise. */
  private push(message: HttpResponsePush): void {
    const res = this.res as { createPushResponse?: AnyResponse extends never ? never : (h: object, cb: (e: Error | null, r: AnyResponse) => void) => void };
    if (!this.inbound.pushAllowed || res.createPushResponse === undefined) {
      this.earlyHints([`<${message.path}>; rel=preload`]);
      return;
    }
    const scope = this.inbound.scope;
    const mark = message.path.indexOf('?');
    const path = mark === -1 ? message.path : message.path.slice(0, mark);
    const query = mark === -1 ? '' : message.path.slice(mark + 1);
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      throw new ProtocolViolation('a push path with valid percent-encoding', message.path);
    }
    res.createPushResponse({ ':path': message.path }, (error, pushed) => {
      if (error) return; // the client or session refused: nothing is lost, the page asks itself
      const authority = scope.headers.filter(([name]) => name === 'host');
      const inbound: Inbound = {
        method: 'GET',
        scope: {
          ...scope,
          path: decoded,
          raw_path: Buffer.from(path, 'latin1'),
          query_string: Buffer.from(query, 'latin1'),
          headers: [...authority, ...message.headers],
        },
        first: { body: Buffer.alloc(0), more: false },
        pushAllowed: false,
      };
      this.ctx.inFlight.begin();
      pushed.once('close', () => this.ctx.inFlight.end());
      new HttpExchange(this.ctx, pushed, inbound, this.ctx.channelFor(inbound.scope.path, 'http')).start();
    });
  }

  private arm(ms: number, why: string): void {
    deadlines.cancel(this, this.deadline);
    this.deadline = deadlines.set(this, ms);
    this.lateWhy = why;
    this.lateMs = ms;
  }

  private readonly onClose = (): void => {
    if (this.state === 'done') return;
    this.finish();
    if (this.pullChannel !== undefined) this.toWorker({ type: 'http.disconnect' }).catch(() => {});
  };

  /** Ends the exchange for a failure: the status from the table, or a cut-off response. */
  private fail(error: unknown): void {
    if (this.state === 'done' && this.res.writableEnded) return;
    const reply = this.reply;
    const oversized = error instanceof BodyTooLarge && !this.res.headersSent && this.inbound.body !== undefined;
    if (oversized) refuseOversizedBody(this.res, this.inbound.body!); // before finish() discards the rest by its own bound
    this.finish();
    // A worker still reading the body or streaming must hear that this exchange is over.
    if (this.pullChannel !== undefined) this.toWorker({ type: 'http.disconnect' }).catch(() => {});
    logFailure(this.ctx.logger, error, { channel: this.target, reply_channel: reply, path: this.inbound.scope.path });
    if (error instanceof ChannelFull) this.ctx.metrics?.channelFull.inc({ channel: this.target });
    if (error instanceof Overloaded) this.ctx.metrics?.overloaded.inc({ channel: this.target });
    if (oversized) return;
    if (error instanceof RequestTimeout && !this.res.headersSent) return refuseSlowBody(this.res);
    if (!this.res.headersSent) {
      const { status, reason, headers } = outcomeOf(error);
      sendPlain(this.res, status, reason, headers.length === 0 ? undefined : Object.fromEntries(headers));
    } else {
      // Cut off what was started. Node corks the socket until the next tick of a write, so
      // destroying now would drop the head and chunks already written: wait one turn.
      setImmediate(() => this.res.destroy());
    }
  }
}
