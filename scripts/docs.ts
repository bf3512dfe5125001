/**
 * Writes the configuration reference into README.md, between its markers, from the settings
 * schemas (`npm run docs`). With `--check` it only says whether the README is up to date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference, REFERENCE_END, REFERENCE_START } from '../bin/config/reference.js';

const README = new URL('../README.md', import.meta.url);

export function withReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${REFERENCE_START} … ${REFERENCE_END} block`);
  return `${readme.slice(0, start + REFERENCE_START.length)}\n\n${configReference()}\n\n${readme.slice(end)}`;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const readme = readFileSync(README, 'utf8');
  const updated = withReference(readme);
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md: the configuration reference is out of date; run `npm run docs`');
      process.exit(1);
    }
  } else if (updated !== readme) {
    writeFileSync(README, updated);
    console.log('README.md: configuration reference updated');
  }
}
