import type { z } from 'zod';
import {
  lifespanSchemas,
  serverToWorkerSchemas,
  workerToServerSchemas,
  type LifespanMessage,
  type ServerToWorkerMessage,
  type WorkerToServerMessage,
} from './directions.js';
import { SwitchyardError } from './errors.js';

/**
 * A message failed its schema. `messageType` and `field` say what and where, so a log line can
 * name the offending field without dumping the (possibly large, possibly private) payload.
 */
export class MessageValidationError extends SwitchyardError {
  override readonly name = 'MessageValidationError';
  override readonly code = 'SWITCHYARD_INVALID_MESSAGE';
  constructor(
    readonly messageType: string | undefined,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    const what = messageType === undefined ? 'message' : `"${messageType}" message`;
    const where = field === undefined || field === '' ? '' : ` field "${field}":`;
    super(`invalid ${what}:${where} ${detail}`);
  }
}

type SchemaTable = Record<string, z.ZodType>;

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function makeParser<T>(table: SchemaTable, direction: string): (value: unknown) => T {
  const expected = Object.keys(table).join(', ');
  return (value: unknown): T => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new MessageValidationError(undefined, undefined, 'expected an object with a "type"');
    }
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string') {
      throw new MessageValidationError(undefined, 'type', 'expected a string');
    }
    const schema = table[type];
    if (schema === undefined) {
      throw new MessageValidationError(type, 'type', `not a ${direction} message (expected one of: ${expected})`);
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new MessageValidationError(type, issue ? fieldPath(issue.path) : undefined, issue?.message ?? 'invalid');
    }
    return result.data as T;
  };
}

/** Parses what a server sent to a worker; throws MessageValidationError naming type and field. */
export const parseServerToWorker = makeParser<ServerToWorkerMessage>(serverToWorkerSchemas, 'server-to-worker');

/** Parses what a worker sent back; the interface server calls this before touching a socket. */
export const parseWorkerToServer = makeParser<WorkerToServerMessage>(workerToServerSchemas, 'worker-to-server');

export const parseLifespan = makeParser<LifespanMessage>(lifespanSchemas, 'lifespan');
