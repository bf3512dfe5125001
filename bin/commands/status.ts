import { Command } from 'commander';
import { describeTarget } from '../../channel-layer/index.js';
import { inspectLayer } from '../../channel-layer/redis/inspect.js';
import { DurableAdmin, type DurableCounts } from '../../consumers/index.js';
import { addSettingFlags, resolveSettings } from '../config/load.js';

/** `switchyard status`: what the layer and the durable queues hold, and who is alive. */
export function statusCommand(): Command {
  const status = new Command('status')
    .description('show channels with their depth, groups, live processes and durable queues')
    .option('--json', 'print JSON for scripts');
  return addSettingFlags(status, 'status').action(async (options: { json?: boolean }) => {
    const { settings } = resolveSettings(status, 'status');
    const { prefix } = settings.redis;
    const layer = await inspectLayer(settings.redis, prefix).catch((error: Error) => {
      throw new Error(`cannot read ${describeTarget(settings.redis)}: ${error.message}`);
    });
    const admin = new DurableAdmin(settings.redis);
    const durable: { channel: string; counts: DurableCounts }[] = [];
    try {
      for (const channel of await admin.channels()) durable.push({ channel, counts: await admin.counts(channel) });
    } finally {
      await admin.close();
    }
    // Live processes by role (the part of the name before the dot: server, worker, dev),
    // counting those heard from within the layer's heartbeat timeout.
    const timeout = settings.layer.heartbeatTimeoutMs;
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
}
