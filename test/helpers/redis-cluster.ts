import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/**
 * A real Redis Cluster (3 primaries, 3 replicas) and a real Sentinel setup (1 primary, 1 replica,
 * 3 sentinels) of the test's own: redis-server processes on free loopback ports, each with a
 * fresh temp dir (config file, log), no persistence, short timeouts so failovers take seconds.
 */

const HOST = '127.0.0.1';

export interface Address {
  host: string;
  port: number;
}

/** "127.0.0.1:6379,127.0.0.1:6380" → [{ host, port }, …] (for ioredis `new Cluster(…)` / `sentinels`). */
export function parseAddresses(list: string): Address[] {
  return list
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const at = item.lastIndexOf(':');
      return { host: item.slice(0, at).trim(), port: Number(item.slice(at + 1)) };
    });
}

// ---------------------------------------------------------------------------------------------
// Cluster

export interface ClusterNodeInfo extends Address {
  /** The port of the cluster bus (`--cluster-port`), a free port of its own. */
  busPort: number;
  /** The node id (40 hex characters). */
  id: string;
  /** Whether it was a primary when the cluster became ready (see `primaries()` for now). */
  primary: boolean;
  /** The id of its primary, for a replica (at start). */
  primaryId?: string;
  /** Slot ranges it served at start, e.g. [[0, 5460]] (empty for a replica). */
  slots: Array<[number, number]>;
}

/** One line of CLUSTER NODES. */
export interface ClusterNodesEntry extends Address {
  id: string;
  flags: string[];
  /** The id of its primary, or undefined ('-') for a primary. */
  primaryId: string | undefined;
  linkState: string;
  slots: Array<[number, number]>;
}

export interface RedisClusterOptions {
  /** A user the app must log in as (AppUser); none unless told. */
  appUser?: AppUser;
  /** `--cluster-node-timeout`; 1000 ms unless told. */
  nodeTimeoutMs?: number;
  /** Bound on waiting for `cluster_state:ok` (and replicas in sync) everywhere; 20 s unless told. */
  readyTimeoutMs?: number;
}

export interface RedisCluster {
  /** Every node as it was when the cluster became ready (primaries first). */
  readonly nodes: ClusterNodeInfo[];
  /** "127.0.0.1:p1,127.0.0.1:p2,…", every node. */
  readonly seeds: string;
  /** How long start took, in ms. */
  readonly startMs: number;
  /** The primaries now (with slots), from CLUSTER NODES of a node still running. */
  primaries(): Promise<ClusterNodesEntry[]>;
  /** CLUSTER NODES of a node still running, parsed. */
  clusterNodes(): Promise<ClusterNodesEntry[]>;
  /** SIGKILLs one node (as a crash would) and waits for it to go. */
  kill(port: number): Promise<void>;
  /**
   * Waits until a replica of the (killed) primary on `oldPrimaryPort` has been promoted: every
   * running node sees that primary as failed and the same other node owning its slots, as a
   * primary, and every running node reports `cluster_state:ok`. Returns the new primary.
   */
  waitForFailover(oldPrimaryPort: number, options?: { timeoutMs?: number }): Promise<ClusterNodesEntry>;
  /** SIGKILLs every node and removes the temp dirs. */
  stop(): Promise<void>;
}

/**
 * A user the app must log in as: with one, the data nodes' default user (which the helpers'
 * own admin commands, replication and the sentinels use) may touch no key but `admin:*`, so an
 * app that does not send the user's name and password meets NOPERM at once.
 */
export interface AppUser {
  name: string;
  password: string;
}

/** The ACL of a data node with an app user. */
function userArgs(user: AppUser | undefined): string[] {
  if (user === undefined) return [];
  return ['--user', 'default', 'on', 'nopass', '~admin:*', '&*', '+@all', '--user', user.name, 'on', `>${user.password}`, '~*', '&*', '+@all'];
}

/** A data node's settings: loopback only, no persistence, logs in its own directory. */
function dataArgs(dir: string, port: number, user?: AppUser): string[] {
  return [
    ...userArgs(user),
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    '--logfile', join(dir, 'redis.log'),
    '--save', '',
    '--appendonly', 'no',
    '--protected-mode', 'no',
    // The full sync of a new replica at once, not after the 5 s default wait.
    '--repl-diskless-sync-delay', '0',
  ];
}

/**
 * Starts 6 `redis-server --cluster-enabled yes` nodes, joins them with
 * `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`, and waits until every node
 * reports `cluster_state:ok` and every replica is in sync with its primary.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const started = Date.now();
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const processes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((proc) => proc.destroy()));
  };
  try {
    await Promise.all(
      Array.from({ length: 6 }, async (_, index) => {
        const proc = await RedisProcess.start({
          name: `cluster node ${index + 1}`,
          dirPrefix: 'switchyard-redis-cluster-',
          ports: 2,
          args: (dir, [port, busPort]) => [
            ...dataArgs(dir, port!, options.appUser),
            '--cluster-enabled', 'yes',
            '--cluster-port', String(busPort),
            '--cluster-config-file', join(dir, 'nodes.conf'),
            '--cluster-node-timeout', String(nodeTimeoutMs),
            // A replica may always stand in, however long ago it last heard from its primary.
            '--cluster-replica-validity-factor', '0',
          ],
        });
        processes.push(proc);
      }),
    );
    const addresses = processes.map((proc) => `${HOST}:${proc.port}`);
    await runRedisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], readyTimeoutMs);

    const deadline = Date.now() + readyTimeoutMs;
    const cluster = new Cluster(processes, stop, started);
    await cluster.waitUntil('the cluster to be ready', deadline, async () => {
      for (const proc of processes) {
        const state = await clusterState(proc.port);
        if (state !== 'ok') return `${proc.name} (port ${proc.port}) reports cluster_state:${state}`;
      }
      // Every node sees 3 primaries with slots and 3 replicas, and every replica is in sync.
      for (const proc of processes) {
        const view = parseClusterNodes(String(await command(proc.port, ['CLUSTER', 'NODES'])));
        const primaries = view.filter((node) => node.flags.includes('master') && node.slots.length > 0);
        const replicas = view.filter((node) => node.flags.includes('slave'));
        if (primaries.length !== 3 || replicas.length !== 3) {
          return `${proc.name} (port ${proc.port}) sees ${primaries.length} primaries with slots and ${replicas.length} replicas`;
        }
      }
      for (const proc of processes) {
        const info = String(await command(proc.port, ['INFO', 'replication']));
        if (info.includes('role:slave') && !info.includes('master_link_status:up')) {
          return `${proc.name} (port ${proc.port}), a replica, has not synced with its primary`;
        }
      }
      return undefined;
    });
    await cluster.snapshot();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

class Cluster implements RedisCluster {
  nodes: ClusterNodeInfo[] = [];
  readonly seeds: string;
  startMs = 0;

  constructor(
    private readonly processes: RedisProcess[],
    readonly stop: () => Promise<void>,
    private readonly started: number,
  ) {
    this.seeds = processes.map((proc) => `${HOST}:${proc.port}`).join(',');
  }

  async snapshot(): Promise<void> {
    const view = await this.clusterNodes();
    const nodes = view.map((entry): ClusterNodeInfo => {
      const proc = this.process(entry.port);
      const info: ClusterNodeInfo = { host: HOST, port: entry.port, busPort: proc.ports[1]!, id: entry.id, primary: entry.flags.includes('master'), slots: entry.slots };
      if (entry.primaryId !== undefined) info.primaryId = entry.primaryId;
      return info;
    });
    this.nodes = nodes.sort((a, b) => Number(b.primary) - Number(a.primary) || a.port - b.port);
    this.startMs = Date.now() - this.started;
  }

  async clusterNodes(): Promise<ClusterNodesEntry[]> {
    const errors: string[] = [];
    for (const proc of this.running()) {
      try {
        return parseClusterNodes(String(await command(proc.port, ['CLUSTER', 'NODES'])));
      } catch (error) {
        errors.push(`${proc.name} (port ${proc.port}): ${(error as Error).message}`);
      }
    }
    throw new Error(`no cluster node answered CLUSTER NODES: ${errors.join('; ') || 'none is running'}`);
  }

  async primaries(): Promise<ClusterNodesEntry[]> {
    const view = await this.clusterNodes();
    return view.filter((node) => node.flags.includes('master') && !node.flags.includes('fail') && node.slots.length > 0);
  }

  async kill(port: number): Promise<void> {
    await this.process(port).kill();
  }

  async waitForFailover(oldPrimaryPort: number, options: { timeoutMs?: number } = {}): Promise<ClusterNodesEntry> {
    const old = this.nodes.find((node) => node.port === oldPrimaryPort);
    if (old === undefined) throw new Error(`waitForFailover: no cluster node on port ${oldPrimaryPort} (nodes: ${this.seeds})`);
    const before = (await this.clusterNodes()).find((node) => node.id === old.id);
    const slot = (before?.slots.length ? before.slots : old.slots)[0]?.[0];
    if (slot === undefined) throw new Error(`waitForFailover: the node on port ${oldPrimaryPort} is not a primary with slots`);
    let promoted: ClusterNodesEntry | undefined;
    await this.waitUntil(`a replica of the primary on port ${oldPrimaryPort} to take over (slot ${slot})`, Date.now() + (options.timeoutMs ?? 20_000), async () => {
      let owner: ClusterNodesEntry | undefined;
      for (const proc of this.running()) {
        const view = parseClusterNodes(String(await command(proc.port, ['CLUSTER', 'NODES'])));
        const oldEntry = view.find((node) => node.id === old.id);
        if (oldEntry !== undefined && !oldEntry.flags.includes('fail')) return `${proc.name} (port ${proc.port}) does not see port ${oldPrimaryPort} as failed yet (flags ${oldEntry.flags.join(',')})`;
        const ownerHere = view.find((node) => node.slots.some(([from, to]) => from <= slot && slot <= to));
        if (ownerHere === undefined || ownerHere.id === old.id || !ownerHere.flags.includes('master')) {
          return `${proc.name} (port ${proc.port}) still sees slot ${slot} served by ${ownerHere === undefined ? 'nobody' : `port ${ownerHere.port} (${ownerHere.flags.join(',')})`}`;
        }
        if (owner !== undefined && owner.id !== ownerHere.id) return `nodes disagree on who serves slot ${slot}: ports ${owner.port} and ${ownerHere.port}`;
        owner = ownerHere;
        const state = await clusterState(proc.port);
        if (state !== 'ok') return `${proc.name} (port ${proc.port}) reports cluster_state:${state}`;
      }
      if (owner === undefined) return 'no cluster node is running';
      promoted = owner;
      return undefined;
    });
    return promoted!;
  }

  waitUntil(what: string, deadline: number, check: () => Promise<string | undefined>): Promise<void> {
    return poll(this.processes, what, deadline, check);
  }

  private running(): RedisProcess[] {
    return this.processes.filter((proc) => proc.running());
  }

  private process(port: number): RedisProcess {
    const proc = this.processes.find((candidate) => candidate.port === port);
    if (proc === undefined) throw new Error(`no cluster node on port ${port} (nodes: ${this.seeds})`);
    return proc;
  }
}

async function clusterState(port: number): Promise<string> {
  const info = String(await command(port, ['CLUSTER', 'INFO']));
  return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
}

/** Parses CLUSTER NODES output (`<id> <ip:port@cport> <flags> <master> … <link-state> <slots>…`). */
export function parseClusterNodes(text: string): ClusterNodesEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [id, address, flags, primaryId, , , , linkState, ...slots] = line.split(' ');
      const hostPort = address!.split('@')[0]!;
      const at = hostPort.lastIndexOf(':');
      return {
        id: id!,
        host: hostPort.slice(0, at),
        port: Number(hostPort.slice(at + 1)),
        flags: flags!.split(','),
        primaryId: primaryId === '-' ? undefined : primaryId,
        linkState: linkState!,
        slots: slots
          .filter((slot) => !slot.startsWith('[')) // slots being imported / migrated
          .map((slot): [number, number] => {
            const [from, to] = slot.split('-');
            return [Number(from), Number(to ?? from)];
          }),
      };
    });
}

async function runRedisCli(args: string[], timeoutMs: number): Promise<string> {
  const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = (await Promise.race([
      once(child, 'exit'),
      once(child, 'error').then(([error]) => {
        throw new Error(`cannot run redis-cli (is it installed? .ci/run installs it): ${(error as Error).message}`);
      }),
    ])) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      throw new Error(`redis-cli ${args.join(' ')} ${signal === 'SIGKILL' ? `took longer than ${timeoutMs} ms` : `exited with ${code ?? signal}`}:\n${output}`);
    }
    return output;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Sentinel

export interface RedisSentinelOptions {
  /** A password the sentinels require (`requirepass`, and `sentinel sentinel-pass` among themselves); none unless told. */
  sentinelPassword?: string;
  /** A user the app must log in as on the primary and the replica (AppUser); none unless told. */
  appUser?: AppUser;
  /** The monitored primary's name; 'mymaster' unless told. */
  masterName?: string;
  /** `sentinel down-after-milliseconds`; 1000 unless told. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`; 5000 unless told. */
  failoverTimeoutMs?: number;
  /** Bound on waiting for the sentinels to know the primary, the replica and each other; 20 s unless told. */
  readyTimeoutMs?: number;
}

export interface RedisSentinel {
  readonly masterName: string;
  /** "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3". */
  readonly sentinels: string;
  /** The primary: the first one, and after `waitForFailover()` the promoted one. */
  readonly primary: Address;
  /** The replica started with `--replicaof` (it is the one promoted on failover). */
  readonly replica: Address;
  /** How long start took, in ms. */
  readonly startMs: number;
  /** SIGKILLs the primary, the replica or a sentinel by port, and waits for it to go. */
  kill(port: number): Promise<void>;
  /**
   * Waits until every running sentinel's `SENTINEL get-master-addr-by-name` names a primary other
   * than the current `primary`, and that node answers ROLE as master; then `primary` is it.
   */
  waitForFailover(options?: { timeoutMs?: number }): Promise<Address>;
  /** SIGKILLs every process and removes the temp dirs. */
  stop(): Promise<void>;
}

/**
 * Starts a primary, a replica (`--replicaof`) and 3 sentinels monitoring them (quorum 2), and waits
 * until every sentinel knows the primary, the replica and the 2 other sentinels.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const started = Date.now();
  const masterName = options.masterName ?? 'mymaster';
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const processes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((proc) => proc.destroy()));
  };
  try {
    const primary = await RedisProcess.start({ name: 'sentinel-monitored primary', dirPrefix: 'switchyard-redis-sentinel-', ports: 1, args: (dir, [port]) => dataArgs(dir, port!, options.appUser) });
    processes.push(primary);
    const replica = await RedisProcess.start({
      name: 'sentinel-monitored replica',
      dirPrefix: 'switchyard-redis-sentinel-',
      ports: 1,
      args: (dir, [port]) => [...dataArgs(dir, port!, options.appUser), '--replicaof', HOST, String(primary.port)],
    });
    processes.push(replica);
    // Packages that ship `redis-sentinel` link it to redis-server; `redis-server <conf> --sentinel` is the same.
    const sentinelCommand = onPath('redis-sentinel') ? { command: 'redis-sentinel', flags: [] } : { command: 'redis-server', flags: ['--sentinel'] };
    await Promise.all(
      [1, 2, 3].map(async (index) => {
        const proc = await RedisProcess.start({
          name: `sentinel ${index}`,
          dirPrefix: 'switchyard-redis-sentinel-',
          ports: 1,
          command: sentinelCommand.command,
          args: (dir, [port]) => {
            const config = join(dir, 'sentinel.conf');
            if (options.sentinelPassword !== undefined) PASSWORDS.set(port!, options.sentinelPassword);
            writeFileSync(
              config,
              [
                `port ${port}`,
                `bind ${HOST}`,
                'protected-mode no',
                'daemonize no',
                `dir ${dir}`,
                `logfile ${join(dir, 'redis.log')}`,
                'sentinel resolve-hostnames no',
                `sentinel monitor ${masterName} ${HOST} ${primary.port} 2`,
                `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
                `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 5000}`,
                `sentinel parallel-syncs ${masterName} 1`,
                ...(options.sentinelPassword === undefined ? [] : [`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`]),
                '',
              ].join('\n'),
            );
            return [config, ...sentinelCommand.flags];
          },
        });
        processes.push(proc);
      }),
    );
    const sentinel = new Sentinel(masterName, processes, stop, started);
    await sentinel.waitUntil('the sentinels to be ready', Date.now() + readyTimeoutMs, async () => {
      const info = String(await command(replica.port, ['INFO', 'replication']));
      if (!info.includes('master_link_status:up')) return `the replica (port ${replica.port}) has not synced with the primary (port ${primary.port})`;
      for (const proc of sentinel.sentinelProcesses()) {
        const where = `${proc.name} (port ${proc.port})`;
        const address = (await command(proc.port, ['SENTINEL', 'get-master-addr-by-name', masterName])) as string[] | null;
        if (address?.[1] !== String(primary.port)) return `${where} reports primary ${JSON.stringify(address)}, not port ${primary.port}`;
        const replicas = fieldMaps(await command(proc.port, ['SENTINEL', 'replicas', masterName]));
        const known = replicas.find((entry) => entry.port === String(replica.port));
        if (known === undefined || known.flags !== 'slave') return `${where} does not know the replica (port ${replica.port}) yet${known === undefined ? '' : ` (flags ${known.flags})`}`;
        const others = fieldMaps(await command(proc.port, ['SENTINEL', 'sentinels', masterName]));
        if (others.length < 2) return `${where} knows ${others.length} of the 2 other sentinels`;
      }
      return undefined;
    });
    sentinel.startMs = Date.now() - started;
    return sentinel;
  } catch (error) {
    await stop();
    throw error;
  }
}

class Sentinel implements RedisSentinel {
  readonly sentinels: string;
  primary: Address;
  readonly replica: Address;
  startMs = 0;

  constructor(
    readonly masterName: string,
    private readonly processes: RedisProcess[],
    readonly stop: () => Promise<void>,
    private readonly started: number,
  ) {
    this.primary = { host: HOST, port: processes[0]!.port };
    this.replica = { host: HOST, port: processes[1]!.port };
    this.sentinels = this.sentinelProcesses()
      .map((proc) => `${HOST}:${proc.port}`)
      .join(',');
  }

  sentinelProcesses(): RedisProcess[] {
    return this.processes.slice(2);
  }

  async kill(port: number): Promise<void> {
    const proc = this.processes.find((candidate) => candidate.port === port);
    if (proc === undefined) throw new Error(`no process of this sentinel setup on port ${port}`);
    await proc.kill();
  }

  async waitForFailover(options: { timeoutMs?: number } = {}): Promise<Address> {
    const old = this.primary.port;
    let promoted: Address | undefined;
    await this.waitUntil(`the sentinels to fail over from the primary on port ${old}`, Date.now() + (options.timeoutMs ?? 30_000), async () => {
      let agreed: string | undefined;
      for (const proc of this.sentinelProcesses().filter((candidate) => candidate.running())) {
        const address = (await command(proc.port, ['SENTINEL', 'get-master-addr-by-name', this.masterName])) as string[] | null;
        const port = address?.[1];
        if (port === undefined || port === String(old)) return `${proc.name} (port ${proc.port}) still reports primary ${JSON.stringify(address)}`;
        if (agreed !== undefined && agreed !== port) return `sentinels disagree on the new primary: ports ${agreed} and ${port}`;
        agreed = port;
      }
      if (agreed === undefined) return 'no sentinel is running';
      const role = (await command(Number(agreed), ['ROLE'])) as unknown[];
      if (role[0] !== 'master') return `the new primary (port ${agreed}) reports role ${String(role[0])}`;
      promoted = { host: HOST, port: Number(agreed) };
      return undefined;
    });
    this.primary = promoted!;
    return promoted!;
  }

  waitUntil(what: string, deadline: number, check: () => Promise<string | undefined>): Promise<void> {
    return poll(this.processes, what, deadline, check);
  }
}

/** SENTINEL replicas / sentinels reply: a list of flat [field, value, …] lists → objects. */
function fieldMaps(reply: unknown): Array<Record<string, string>> {
  return ((reply ?? []) as string[][]).map((flat) => {
    const entry: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) entry[flat[i]!] = flat[i + 1]!;
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------
// Processes, ports, commands

/** Polls `check` (undefined: done; a string: what is still missing) until done or `deadline`. */
async function poll(processes: RedisProcess[], what: string, deadline: number, check: () => Promise<string | undefined>): Promise<void> {
  let missing = 'not checked yet';
  for (;;) {
    try {
      const result = await check();
      if (result === undefined) return;
      missing = result;
    } catch (error) {
      missing = (error as Error).message;
    }
    const dead = processes.find((proc) => proc.crashed());
    if (dead !== undefined) throw new Error(`${dead.name} (port ${dead.port}) exited while waiting for ${what}:\n${dead.logTail()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${missing}`);
    await sleep(100);
  }
}

// Children still running when the test process exits without stop() (a crash, a timeout) go too.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface StartSpec {
  name: string;
  dirPrefix: string;
  /** How many free ports it needs (the first is the one it answers on). */
  ports: number;
  command?: string;
  args: (dir: string, ports: number[]) => string[];
}

/** One redis-server / sentinel child with a temp dir of its own, its log in `<dir>/redis.log`. */
class RedisProcess {
  private killed = false;

  private constructor(
    readonly name: string,
    readonly ports: number[],
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  get port(): number {
    return this.ports[0]!;
  }

  /**
   * Starts it and waits for PING to be answered. A free port can be taken by someone else
   * between being found and being bound; then it tries again on other ports (3 times in all).
   */
  static async start(spec: StartSpec): Promise<RedisProcess> {
    for (let attempt = 1; ; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), spec.dirPrefix));
      const ports = await freePorts(spec.ports);
      const command = spec.command ?? 'redis-server';
      const child = spawn(command, spec.args(dir, ports), { stdio: 'ignore' });
      live.add(child);
      child.once('exit', () => live.delete(child));
      const proc = new RedisProcess(spec.name, ports, dir, child);
      const failed = once(child, 'error').then(([error]) => `cannot start ${command} (is it installed? .ci/run installs it): ${(error as Error).message}`);
      const problem = await Promise.race([failed, proc.answering()]);
      if (problem === undefined) return proc;
      const log = proc.logTail();
      await proc.destroy();
      if (attempt < 3 && /address already in use/i.test(log)) continue;
      throw new Error(`${spec.name}: ${problem}${log === '' ? '' : `:\n${log}`}`);
    }
  }

  /** undefined once it answers PING, else why not. */
  private async answering(): Promise<string | undefined> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return `exited with ${this.child.exitCode ?? this.child.signalCode} on port ${this.port}`;
      try {
        if ((await command(this.port, ['PING'], 500)) === 'PONG') return undefined;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    return `did not answer PING on port ${this.port} within 5 s`;
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exited without being told to. */
  crashed(): boolean {
    return !this.killed && !this.running();
  }

  logTail(lines = 20): string {
    const file = join(this.dir, 'redis.log');
    if (!existsSync(file)) return '';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** SIGKILL, as a crash would; waits for the exit. */
  async kill(): Promise<void> {
    this.killed = true;
    if (!this.running()) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }

  /** SIGKILL and remove the temp dir. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `count` distinct free loopback ports (all held open together, so none is handed out twice). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      server.listen(0, HOST);
      await once(server, 'listening');
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Passwords of the processes that require one, by port (the helpers' own commands log in with them). */
const PASSWORDS = new Map<number, string>();

/** One command on a connection of its own (no retries, no offline queue), closed afterwards. */
async function command(port: number, args: string[], timeoutMs = 1000): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    ...(PASSWORDS.has(port) ? { password: PASSWORDS.get(port) } : {}),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  client.on('error', () => {}); // the rejected promise says it
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}
