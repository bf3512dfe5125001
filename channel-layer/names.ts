import { InvalidName } from './errors.js';

/**
 * Channel names: ASCII letters, digits, `-`, `_`, `.`, at most 100 characters. A name with a
 * `!` is process-specific: everything up to and including the `!` names the process that
 * holds it (its inbox), the rest tells its channels apart.
 */
const CHANNEL = /^[A-Za-z0-9_.-]+(![A-Za-z0-9_.-]*)?$/;
const GROUP = /^[A-Za-z0-9_.-]+$/;
export const MAX_NAME_LENGTH = 100;

export function assertChannelName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || !CHANNEL.test(name)) {
    throw new InvalidName(
      `invalid channel name ${JSON.stringify(name)}: use 1-${MAX_NAME_LENGTH} ASCII letters, digits, "-", "_", "." and at most one "!"`,
    );
  }
}

export function assertGroupName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || !GROUP.test(name)) {
    throw new InvalidName(
      `invalid group name ${JSON.stringify(name)}: use 1-${MAX_NAME_LENGTH} ASCII letters, digits, "-", "_" and "."`,
    );
  }
}

/**
 * The `n`th process-specific channel of an inbox: `<inbox><hint>.<n in base 36>`. The inbox is
 * unique to its layer instance, so a counter tells its channels apart.
 */
export function processChannel(inbox: string, hint: string | undefined, n: number): string {
  const channel = `${inbox}${hint ? `${hint}.` : ''}${n.toString(36)}`;
  assertChannelName(channel);
  return channel;
}

/** `"server.ab12!c7"` → `"server.ab12!"`; undefined for an ordinary channel. */
export function inboxOf(channel: string): string | undefined {
  const bang = channel.indexOf('!');
  return bang === -1 ? undefined : channel.slice(0, bang + 1);
}
