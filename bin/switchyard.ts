#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { devCommand, serveCommand, workerCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { AppLoadError } from './load-app.js';

/** The package's version, from source (bin/) and from the build (dist/bin/) alike. */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    const candidate = new URL('package.json', dir);
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
const version = packageVersion();

const program = new Command('switchyard')
  .description('A channel-based message-passing runtime: interface servers, a Redis channel layer, workers.')
  .version(version);

program.addCommand(devCommand()).addCommand(serveCommand()).addCommand(workerCommand()).addCommand(statusCommand());

program.parseAsync().catch((error: Error) => {
  console.error(`switchyard: ${error.message}`);
  // The app's own error: its stack points at the user's file and line.
  if (error instanceof AppLoadError && error.cause instanceof Error && error.cause.stack) console.error(error.cause.stack);
  // Whatever is still open (a connection that would retry forever) must not keep a failed
  // command alive: this is the top of the program, where exiting is its job.
  process.exit(1);
});
