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
 * cluster requires), cancelled with CLIENT UNBLOCK through a control connection of its own to
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
  ) {
    cluster.on('refresh', this.forgetMovedNodes);
  }

  /**
   * After a slot refresh, a pop blocked on a node that serves no slot any more (a primary that
   * failed, perhaps on a host gone dark, whose socket would not tell for hours) is ended: it
   * fails, and the next pop goes where the slot map now says.
   */
  private readonly forgetMovedNodes = (): void => {
    const serving = new Set(this.cluster.slots.map((nodes) => nodes[0]));
    for (const [node, pop] of this.byNode) {
      if (serving.has(node)) continue;
      this.byNode.delete(node);
      pop.disconnect();
      this.controls.get(node)?.disconnect();
      this.controls.delete(node);
    }
  };

  get ready(): boolean {
    return this.cluster.status === 'ready';
  }

  get ended(): boolean {
    return this.closed || this.cluster.status === 'end';
  }

  async whenReady(signal: AbortSignal): Promise<void> {
    await once(this.cluster, 'ready', { signal }).catch(() => {});
  }

  async pop(keys: readonly string[], max: number, signal: AbortSignal, onWaiting?: () => void): Promise<Popped | null> {
    const slot = calculateSlot(keys[0]!);
    const node = this.cluster.slots[slot]?.[0];
    if (node === undefined) throw new LayerUnavailable(`no node of the cluster serves slot ${slot} yet`);
    let pop = this.byNode.get(node);
    if (pop === undefined || pop.ended) pop = this.connect(node); // one that ended while idle is made again
    try {
      return await pop.pop(keys, max, signal, onWaiting);
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
    this.cluster.off('refresh', this.forgetMovedNodes);
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
    // CLIENT UNBLOCK goes through a control connection of this pop's own to the node: the cluster
    // client's node connections come and go with its slot refreshes.
    const pop = new BlockingPop(connection, this.ownControl(node, address));
    this.byNode.set(node, pop);
    return pop;
  }

  /** The control connection to `node`, made on first use. */
  private ownControl(node: string, address: { host: string; port: number }): Redis {
    let control = this.controls.get(node);
    if (control === undefined) {
      control = newNodeConnection(this.target, address, { connectionName: `${this.name}-control`, maxRetriesPerRequest: 0 });
      control.on('error', () => {});
      this.controls.set(node, control);
    }
    return control;
  }
}
