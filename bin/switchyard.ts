#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { inspectLayer, layerOptions } from '../channel-layer/index.js';
import { DurableAdmin, type DurableCounts } from '../consumers/index.js';
import { devCommand, serveCommand, workerCommand } from './commands/run.js';

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

program.addCommand(devCommand()).addCommand(serveCommand()).addCommand(workerCommand());

program
  .command('status')
  .description('show channels with their depth, groups, live processes and durable queues')
  .addOption(new Option('--redis <url>', 'Redis URL').env('REDIS_URL').default('redis://127.0.0.1:6379'))
  .addOption(new Option('--prefix <prefix>', 'key prefix of the layer').env('SWITCHYARD_PREFIX').default('switchyard'))
  .option('--json', 'print JSON for scripts')
  .action(async (options: { redis: string; prefix: string; json?: boolean }) => {
    const layer = await inspectLayer(options.redis, options.prefix).catch((error: Error) => {
      throw new InvalidArgumentError(`cannot read ${options.redis}: ${error.message}`);
    });
    const admin = new DurableAdmin({ url: options.redis, prefix: options.prefix });
    const durable: { channel: string; counts: DurableCounts }[] = [];
    try {
      for (const channel of await admin.channels()) durable.push({ channel, counts: await admin.counts(channel) });
    } finally {
      await admin.close();
    }
    // Live processes by role (the part of the name before the dot: server, worker, dev),
    // counting those heard from within the layer's heartbeat timeout.
    const timeout = layerOptions.parse({}).heartbeatTimeoutMs;
    const alive: Record<string, number> = {};
    for (const { inbox, lastSeenMs } of layer.processes) {
      if (lastSeenMs <= timeout) alive[inbox.split('.')[0]!] = (alive[inbox.split('.')[0]!] ?? 0) + 1;
    }
    const snapshot = { ...layer, alive, durable };
    if (options.json) {
      console.log(JSON.stringify(snapshot, null, 2));
      return;
    }
    console.log(`channels (${snapshot.channels.length})`);
    for (const { channel, depth } of snapshot.channels) console.log(`  ${channel.padEnd(60)} ${depth}`);
    console.log(`groups (${snapshot.groups.length})`);
    for (const { group, members } of snapshot.groups) console.log(`  ${group.padEnd(60)} ${members}`);
    const counts = Object.entries(alive).map(([role, n]) => `${n} ${role}${n === 1 ? '' : 's'}`).join(', ');
    console.log(`alive: ${counts || 'none'}`);
    console.log(`processes (${snapshot.processes.length})`);
    for (const { inbox, lastSeenMs } of snapshot.processes) console.log(`  ${inbox.padEnd(60)} seen ${(lastSeenMs / 1000).toFixed(1)} s ago`);
    console.log(`durable channels (${durable.length})             waiting  active delayed completed  failed`);
    for (const { channel, counts: c } of durable) {
      const cells = [c.waiting, c.active, c.delayed, c.completed, c.failed].map((n) => String(n).padStart(8)).join('');
      console.log(`  ${channel.padEnd(32)}${cells}`);
    }
  });

program.parseAsync().catch((error: Error) => {
  console.error(`switchyard: ${error.message}`);
  // Whatever is still open (a connection that would retry forever) must not keep a failed
  // command alive: this is the top of the program, where exiting is its job.
  process.exit(1);
});
