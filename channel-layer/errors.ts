import { SwitchyardError } from '../schemas/index.js';

/**
 * The few errors a layer raises, checked with `instanceof`. Each carries a stable `code` and
 * what the client of the exchange or connection that met it sees (SwitchyardError).
 */
export class LayerError extends SwitchyardError {
  override readonly code: string = 'SWITCHYARD_LAYER';
}

/** The channel holds its capacity of unexpired messages: answer 503 / close 1013 at once. */
export class ChannelFull extends LayerError {
  override readonly name = 'ChannelFull';
  override readonly code = 'SWITCHYARD_CHANNEL_FULL';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'server busy, try again later';
  override readonly retryAfter = 1;
  constructor(readonly channel: string) {
    super(`channel "${channel}" is full`);
  }
}

/** The backing store (Redis) cannot be reached now; the layer reconnects by itself. */
export class LayerUnavailable extends LayerError {
  override readonly name = 'LayerUnavailable';
  override readonly code = 'SWITCHYARD_LAYER_UNAVAILABLE';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'service unavailable, try again later';
  override readonly retryAfter = 1;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`channel layer unavailable: ${detail}`, options);
  }
}

/**
 * This process would split channels into a different number of shards than the processes
 * already on its namespace: it would send where nobody reads, so it refuses to run.
 */
export class LayoutMismatch extends LayerError {
  override readonly name = 'LayoutMismatch';
  override readonly code = 'SWITCHYARD_LAYOUT_MISMATCH';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'service unavailable, try again later';
  constructor(prefix: string, stored: number, own: number) {
    super(
      `the namespace "${prefix}" splits channels into ${stored} shard(s), this process into ${own}: start every process with the same shards (--redis-shards ${stored}), ` +
        `or, to change it, stop them all and delete the key "${prefix}:layout"`,
    );
  }
}

/** `close()` was called; pending and later calls fail with this. */
export class LayerClosed extends LayerError {
  override readonly name = 'LayerClosed';
  override readonly code = 'SWITCHYARD_LAYER_CLOSED';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'service unavailable, try again later';
  override readonly retryAfter = 1;
  constructor() {
    super('channel layer is closed');
  }
}

/** A channel or group name that does not fit the naming rules, or a misuse of one. */
export class InvalidName extends LayerError {
  override readonly name = 'InvalidName';
  override readonly code = 'SWITCHYARD_INVALID_NAME';
}

/** What was handed to `send` is not a message object with a string `type`. */
export class InvalidMessage extends LayerError {
  override readonly name = 'InvalidMessage';
  override readonly code = 'SWITCHYARD_INVALID_MESSAGE';
}
