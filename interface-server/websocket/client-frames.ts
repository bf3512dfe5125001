import type { GroupPosition, Unrecoverable } from '../../channel-layer/index.js';

/**
 * The framing switchyard/client speaks (client/frames.ts reads it; README "Client protocol").
 * A client opts in with `sy=1` in its URL's query and names the last position it saw in each
 * group with `sy_since=<group>~<epoch>~<offset>,…` (none of the three can hold `~` or `,`).
 * Then every text frame to it starts with one letter saying what it is:
 *
 *   m<text>                              a message
 *   h<group>~<epoch>~<offset>\n<text>    a message of a group with history, at its position
 *   p<group>~<epoch>~<offset>            the position of the binary frame that follows
 *   a<group>~<epoch>~<offset>            the position of a group message the client is not sent
 *                                        (an event for the consumer, a broadcast that left it out)
 *   f<group>~<epoch>~<offset>[~<why>]    the connection follows the group from that position on;
 *                                        `why` (epoch, trimmed) when what it missed is lost
 *
 * Binary frames go as they are. Without `sy=1` nothing changes: frames go as the app sent them.
 */
export interface ClientFraming {
  /** The last position the client saw or was given, by group. */
  positions: Map<string, GroupPosition>;
}

const OPT_IN = /(?:^|&)sy=1(?:&|$)/;
const SINCE = /(?:^|&)sy_since=([^&]*)/;

/** The client's framing, or undefined when its query does not ask for it. */
export function clientFraming(query: Uint8Array): ClientFraming | undefined {
  if (query.length === 0) return undefined;
  const text = Buffer.from(query).toString('latin1');
  if (!OPT_IN.test(text)) return undefined;
  const positions = new Map<string, GroupPosition>();
  const since = SINCE.exec(text)?.[1];
  if (since !== undefined) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(since);
    } catch {
      decoded = ''; // not a percent-encoding: it names no position
    }
    for (const item of decoded.split(',').slice(0, MAX_GROUPS)) {
      const [group, epoch, offset] = item.split('~');
      const n = Number(offset);
      if (group && epoch && Number.isSafeInteger(n) && n >= 0) positions.set(group, { epoch, offset: n });
    }
  }
  return { positions };
}

/** Most groups a client may name positions for (the query stays small). */
const MAX_GROUPS = 100;

const at = (group: string, position: GroupPosition): string => `${group}~${position.epoch}~${position.offset}`;

export const messageFrame = (text: string): string => `m${text}`;
export const historyFrame = (group: string, position: GroupPosition, text: string): string => `h${at(group, position)}\n${text}`;
export const positionFrame = (group: string, position: GroupPosition): string => `p${at(group, position)}`;
export const advanceFrame = (group: string, position: GroupPosition): string => `a${at(group, position)}`;
export const followedFrame = (group: string, position: GroupPosition, missed: Unrecoverable | undefined): string =>
  `f${at(group, position)}${missed === undefined ? '' : `~${missed}`}`;
