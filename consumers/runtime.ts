import type { Admission } from './http/admission.js';
import type { Logger } from 'pino';
import { deadlines, type ChannelLayer, type Expiring, type GroupPosition } from '../channel-layer/index.js';
import { BROADCAST_EXCEPT_MAX, SwitchyardError, type WireMessage } from '../schemas/index.js';
import type { App } from './app.js';
import type { SendOptions } from './durable/options.js';
import type { BaseContext, BroadcastOptions, WebSocketContext } from './types.js';

/** What every consumer runner of one worker shares. */
export interface Runtime {
  app: App;
  layer: ChannelLayer;
  logger: Logger;
  /** How long one consumer may run before it is failed (500 / close 1011). */
  timeoutMs: number;
  /** Whether an HTTP request is still worth running (see admission.ts). */
  admission: Admission;
  /** `ctx.send`: a durable channel's queue, or the layer. */
  send(channel: string, message: WireMessage, options?: SendOptions): Promise<void>;
}

/** A consumer ran out of time. */
export class ConsumerTimeout extends SwitchyardError {
  override readonly name = 'ConsumerTimeout';
  override readonly code = 'SWITCHYARD_CONSUMER_TIMEOUT';
}

/** Why a finished consumer's signal aborts. A prepared reason: `abort()` alone builds a DOMException, stack and all. */
export const CONSUMER_DONE = new Error('the consumer finished');

/**
 * How long one consumer's work may go on: until it finishes, its deadline passes (on the
 * process's deadline wheel) or its client leaves, whichever comes first. An AbortSignal is
 * made only for code that asks for one (`ctx.signal`, `request.signal`): most handlers never
 * look, and pay for none.
 */
export class Lifetime implements Expiring {
  private controller: AbortController | undefined;
  private endedWith: unknown;
  private isOver = false;
  private deadline: number;
  private interrupt: ((reason: unknown) => void) | undefined;

  constructor(
    private readonly ms: number,
    private readonly consumer: string,
    /** Why it ends when `ms` have passed, if not the consumer's own timeout. */
    private readonly lateWhy?: string,
  ) {
    this.deadline = deadlines.set(this, ms);
  }

  get over(): boolean {
    return this.isOver;
  }

  /** Why it ended (undefined while it goes on). */
  get reason(): unknown {
    return this.endedWith;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.isOver) this.controller.abort(this.endedWith);
    }
    return this.controller.signal;
  }

  /** Ends it (the first reason stays): aborts the signal, interrupts the `race`. */
  end(reason: unknown): void {
    if (this.isOver) return;
    this.isOver = true;
    this.endedWith = reason;
    deadlines.cancel(this, this.deadline);
    this.deadline = 0;
    this.controller?.abort(reason);
    this.interrupt?.(reason);
  }

  expire(): void {
    this.deadline = 0;
    this.end(new ConsumerTimeout(this.lateWhy ?? `${this.consumer} did not finish within ${this.ms} ms`));
  }

  /** `work`'s outcome, or a rejection with the reason if the lifetime ends first. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.isOver) return Promise.reject(this.endedWith);
    return new Promise<T>((resolve, reject) => {
      this.interrupt = reject;
      work.then(resolve, reject);
    });
  }

  /** The consumer finished: whatever it left listening on the signal stops. */
  done(): void {
    this.end(CONSUMER_DONE);
  }
}

/**
 * `ctx.broadcast`: a `websocket.send` to a group, which the servers apply to members directly;
 * members named in `except` (by their channel) skip it.
 */
export function broadcast(runtime: Runtime, group: string, data: string | Uint8Array, options: BroadcastOptions = {}): Promise<GroupPosition | undefined> {
  const frame: WireMessage = typeof data === 'string' ? { type: 'websocket.send', text: data } : { type: 'websocket.send', bytes: data };
  const except = options.except === undefined ? [] : (Array.isArray(options.except) ? options.except : [options.except]) as (WebSocketContext | string)[];
  if (except.length > BROADCAST_EXCEPT_MAX) return Promise.reject(new RangeError(`broadcast to ${group}: at most ${BROADCAST_EXCEPT_MAX} connections may be left out, not ${except.length}`));
  if (except.length > 0) frame.except = except.map((member) => (typeof member === 'string' ? member : member.channel));
  return runtime.layer.groupSend(group, frame);
}

type GroupFunctions = Pick<BaseContext, 'groupSend' | 'broadcast' | 'presence' | 'presenceStats'>;
const groupFunctionsOf = new WeakMap<Runtime, GroupFunctions>();

/** What every context offers about groups, made once per runtime and spread into each context. */
export function groupFunctions(runtime: Runtime): GroupFunctions {
  let made = groupFunctionsOf.get(runtime);
  if (made === undefined) {
    made = {
      groupSend: (group, message) => runtime.layer.groupSend(group, message),
      broadcast: (group, data, options) => broadcast(runtime, group, data, options),
      presence: (group) => runtime.layer.presence(group),
      presenceStats: (group) => runtime.layer.presenceStats(group),
    };
    groupFunctionsOf.set(runtime, made);
  }
  return made;
}
