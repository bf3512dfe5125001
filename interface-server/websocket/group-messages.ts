import { parseWorkerToServer, type WireMessage } from '../../schemas/index.js';

/**
 * A group's message reaches every local member as the same object: it is checked once, not
 * once per member.
 */
const broadcasts = new WeakMap<WireMessage, ReturnType<typeof parseWorkerToServer> | Error>();

export function parseBroadcast(raw: WireMessage): ReturnType<typeof parseWorkerToServer> | Error {
  let parsed = broadcasts.get(raw);
  if (parsed === undefined) {
    try {
      parsed = parseWorkerToServer(raw);
    } catch (error) {
      parsed = error as Error;
    }
    broadcasts.set(raw, parsed);
  }
  return parsed;
}

const exceptSets = new WeakMap<readonly string[], Set<string>>();

/**
 * Whether a group's `websocket.send` leaves out the member on `channel`. A long `except` list
 * becomes a set once per message, not a scan per member.
 */
export function leftOut(except: readonly string[] | undefined, channel: string): boolean {
  if (except === undefined) return false;
  if (except.length <= 8) return except.includes(channel);
  let set = exceptSets.get(except);
  if (set === undefined) exceptSets.set(except, (set = new Set(except)));
  return set.has(channel);
}

/** Message types the server itself understands; any other type reaching a connection is an app event. */
export const PROTOCOL_TYPE = /^(http|websocket|lifespan)\./;

