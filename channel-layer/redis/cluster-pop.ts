import { once } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { LayerUnavailable } from '../errors.js';
import { BlockingPop, type Popped, type Popper } from './blocking-pop.js';
import { newNodeConnection, type RedisTarget } from './connection.js';

/**
 * Blocking pops on a Redis Cluster. A blocked connection can do nothing else, and the cluster
 * client's own connection to a node carries everyone's commands, so each pop runs on a
 * connection of its own to the node that serves its keys' slot (keys of one slot only, as the
 * cluster requires), cancelled with CLIENT UNBLOCK through the cluster client's connection to
 * that same node. A node that answers MOVED or ASK (its slots are moving) or goes away (a
 * failover) fails the pop with LayerUnavailable; the slot map is read again and the next pop
 * goes where it says.
 */
export class ClusterPop implements Popper {
  /** Node ("host:port") → a pop on a connection of its own to it. */
  private readonly byNode = new Map<string, BlockingPop>();
  private readonly controls = new Map<string, Redis>();
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly target: RedisTarget,
    private readonly name: string,
  ) {}

  get ready(): boolean {
    return this.cluster.status === 'ready';
  }

  get ended(): boolean {
    return this.closed || this.cluster.status === 'end';
  }

  async whenReady(signal: AbortSignal): Promise<void> {
    await once(this.cluster, 'ready', { signal }).catch(() => {});
  }

  async pop(keys: readonly string[], max: number, signal: AbortSignal): Promise<Popped | null> {
    const slot = calculateSlot(keys[0]!);
    const node = this.cluster.slots[slot]?.[0];
    if (node === undefined) throw new LayerUnavailable(`no node of the cluster serves slot ${slot} yet`);
    const pop = this.byNode.get(node) ?? this.connect(node);
    try {
      return await pop.pop(keys, max, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      this.byNode.delete(node);
      pop.disconnect();
      this.cluster.refreshSlotsCache();
      throw new LayerUnavailable(`the cluster node ${node} cannot pop ${keys[0]} now: ${(error as Error).message}`, { cause: error });
    }
  }

  disconnect(): void {
    this.closed = true;
    for (const pop of this.byNode.values()) pop.disconnect();
    for (const control of this.controls.values()) control.disconnect();
    this.byNode.clear();
    this.controls.clear();
  }

  private connect(node: string): BlockingPop {
    const at = node.lastIndexOf(':');
    const address = { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    const connection = newNodeConnection(this.target, address, {
      connectionName: this.name,
      enableOfflineQueue: true, // until its first connect; a lost connection fails its pop (no retry)
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
    });
    connection.on('error', () => {}); // the pop that meets it fails
    const pop = new BlockingPop(connection, this.controlFor(address) ?? this.ownControl(node, address));
    this.byNode.set(node, pop);
    return pop;
  }

  /** A node the cluster client has no connection to yet: a control connection of this pop's own. */
  private ownControl(node: string, address: { host: string; port: number }): Redis {
    let control = this.controls.get(node);
    if (control === undefined) {
      control = newNodeConnection(this.target, address, { connectionName: `${this.name}-control`, maxRetriesPerRequest: 0 });
      control.on('error', () => {});
      this.controls.set(node, control);
    }
    return control;
  }

  /** The cluster client's own connection to `address`, for CLIENT UNBLOCK. */
  private controlFor(address: { host: string; port: number }): Redis | undefined {
    return this.cluster.nodes('all').find((redis) => redis.options.host === address.host && redis.options.port === address.port);
  }
}
