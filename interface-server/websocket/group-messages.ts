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

/** Message types the server itself understands; any other type reaching a connection is an app event. */
export const PROTOCOL_TYPE = /^(http|websocket|group|lifespan)\./;

