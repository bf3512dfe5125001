/**
 * Writes what is generated from the schemas (`npm run docs`): the configuration reference into
 * README.md, between its markers, and the wire protocol's JSON Schemas into docs/schemas/. With
 * `--check` it only says whether they are up to date.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { configReference, REFERENCE_END, REFERENCE_START } from '../bin/config/reference.js';
import { protocolJsonSchemas } from '../schemas/json-schema.js';

const README = new URL('../README.md', import.meta.url);
export const SCHEMA_DIR = new URL('../docs/schemas/', import.meta.url);

/** Each protocol schema file's content, as committed: JSON with two-space indents and a newline. */
export function schemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(protocolJsonSchemas()).map(([name, schema]) => [name, `${JSON.stringify(schema, null, 2)}\n`]));
}

export function withReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${REFERENCE_START} … ${REFERENCE_END} block`);
  return `${readme.slice(0, start + REFERENCE_START.length)}\n\n${configReference()}\n\n${readme.slice(end)}`;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const check = process.argv.includes('--check');
  let stale = false;
  const readme = readFileSync(README, 'utf8');
  const updated = withReference(readme);
  if (updated !== readme) {
    stale = true;
    if (check) console.error('README.md: the configuration reference is out of date; run `npm run docs`');
    else {
      writeFileSync(README, updated);
      console.log('README.md: configuration reference updated');
    }
  }
  if (!check) mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, content] of Object.entries(schemaFiles())) {
    const file = new URL(name, SCHEMA_DIR);
    if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
    stale = true;
    if (check) console.error(`docs/schemas/${name} is out of date; run \`npm run docs\``);
    else {
      writeFileSync(file, content);
      console.log(`docs/schemas/${name} written`);
    }
  }
  if (check && stale) process.exit(1);
}
