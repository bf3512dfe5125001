/**
 * The wire protocol's JSON Schemas (docs/schemas/) are generated from the zod schemas that check
 * the messages: these tests fail when the committed files fall behind (`npm run docs`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_DIR, schemaFiles } from '../../scripts/docs.js';
import { PROTOCOL_VERSION, serverToWorkerSchemas, workerToServerSchemas } from '../../schemas/index.js';

describe('published JSON Schemas', () => {
  it('are what the zod schemas say (run `npm run docs` if this fails)', () => {
    for (const [name, content] of Object.entries(schemaFiles())) expect(readFileSync(new URL(name, SCHEMA_DIR), 'utf8'), name).toBe(content);
  });

  it('name the protocol version and every message type of each direction, with bytes as MessagePack bin', () => {
    const files = schemaFiles();
    for (const [name, types] of [
      ['server-to-worker.json', Object.keys(serverToWorkerSchemas)],
      ['worker-to-server.json', Object.keys(workerToServerSchemas)],
    ] as const) {
      const schema = JSON.parse(files[name]!) as { 'x-switchyard-protocol-version': number; oneOf: { properties: Record<string, Record<string, unknown>> }[] };
      expect(schema['x-switchyard-protocol-version']).toBe(PROTOCOL_VERSION);
      expect(schema.oneOf.map((message) => message.properties.type!.const).sort()).toEqual([...types].sort());
      for (const message of schema.oneOf) if ('body' in message.properties) expect(message.properties.body!['x-msgpack'], `${name} ${String(message.properties.type!.const)}`).toBe('bin');
    }
    const envelope = JSON.parse(files['envelope.json']!) as { prefixItems: { const?: number }[] };
    expect(envelope.prefixItems[0]!.const).toBe(PROTOCOL_VERSION);
  });
});
