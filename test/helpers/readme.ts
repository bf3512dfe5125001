import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/** The README's section under `## heading`, up to the next `## `. */
export function readmeSection(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}`);
  if (start === -1) throw new Error(`the README has no "## ${heading}"`);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The ```ts blocks of a piece of the README, as written. */
export function tsBlocks(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** The Quick start's app.ts, byte for byte. */
export function quickStartApp(): string {
  const block = tsBlocks(readmeSection('Quick start'))[0];
  if (block === undefined) throw new Error('the README has no ```ts block under "## Quick start"');
  return block;
}

/**
 * A block of statements as a module: its imports on top, the rest in `run(redisUrl)`, with
 * vitest's `expect` in scope (the README's examples use it).
 */
export function blockAsModule(block: string): string {
  const lines = block.split('\n');
  const imports = lines.filter((line) => line.startsWith('import '));
  const body = lines.filter((line) => !line.startsWith('import '));
  return [`import { expect } from 'vitest';`, ...imports, 'export async function run(redisUrl: string): Promise<void> {', ...body, '}', ''].join('\n');
}
