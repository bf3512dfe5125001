import { z } from 'zod';
import { bytes } from './common.js';
import { serverToWorkerMessage, workerToServerMessage } from './directions.js';
import { PROTOCOL_VERSION } from './version.js';

type JsonSchema = Record<string, unknown>;

/** Bytes have no JSON type: on the wire they are a MessagePack `bin`, never a `str`, never base64. */
const BYTES: JsonSchema = {
  type: 'string',
  contentMediaType: 'application/octet-stream',
  description: 'bytes: a MessagePack bin (never str, never base64)',
  'x-msgpack': 'bin',
};

/** One direction's messages as JSON Schema (2020-12), read from the zod schemas that check them. */
function messages(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema === bytes) Object.assign(ctx.jsonSchema, BYTES);
    },
  }) as JsonSchema;
}

const NUMBER_NOTE = 'Numbers may be packed as any MessagePack int or float type (a uint64 time included); readers take them all as numbers.';

/**
 * The published schemas of the wire protocol, by file name: the messages of each direction,
 * and the envelope that carries every one. A sender must produce what the `input` form allows
 * (fields with defaults may be left out); `npm run docs` writes them under docs/schemas/, and a
 * test keeps the committed files equal to these.
 */
export function protocolJsonSchemas(): Record<string, JsonSchema> {
  const common = { 'x-switchyard-protocol-version': PROTOCOL_VERSION };
  return {
    'server-to-worker.json': {
      ...messages(serverToWorkerMessage, 'input'),
      $id: 'server-to-worker.json',
      title: `switchyard protocol ${PROTOCOL_VERSION}: messages from interface servers to workers`,
      description: `One of these is the 4th element of every envelope an interface server sends. ${NUMBER_NOTE}`,
      ...common,
    },
    'worker-to-server.json': {
      ...messages(workerToServerMessage, 'input'),
      $id: 'worker-to-server.json',
      title: `switchyard protocol ${PROTOCOL_VERSION}: messages from workers to interface servers`,
      description: `One of these is the 4th element of every envelope a worker sends; the server checks it before it touches a socket. ${NUMBER_NOTE}`,
      ...common,
    },
    'envelope.json': {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'envelope.json',
      title: `switchyard protocol ${PROTOCOL_VERSION}: the envelope`,
      description:
        'Every message crosses the channel layer as one MessagePack array of 4 elements, one list element per envelope: ' +
        'the protocol version, the send time (ms since the epoch, the sender\'s clock), the target (a channel name, or for a group ' +
        'delivery [group, member, …]) and the message, a map with a string "type". A receiver refuses another version. ' +
        NUMBER_NOTE,
      type: 'array',
      prefixItems: [
        { const: PROTOCOL_VERSION, description: 'protocol version' },
        { type: 'number', description: 'send time, ms since the epoch; older than the expiry: dropped unread' },
        {
          description: 'target',
          anyOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2, description: '[group, member, …]: a group delivery to the members the receiving process holds' },
          ],
        },
        { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, description: 'the message: see server-to-worker.json and worker-to-server.json' },
      ],
      items: false,
      minItems: 4,
      ...common,
    },
  };
}
