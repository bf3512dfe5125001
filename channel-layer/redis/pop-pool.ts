import type { Cluster, Redis } from 'ioredis';
import { BlockingPop, type Popper } from './blocking-pop.js';
import { ClusterPop } from './cluster-pop.js';
import { openConnection, type RedisTarget } from './connection.js';

/**
 * The layer's blocking connections: one per receive in progress (a blocked connection can do
 * nothing else), a few kept idle for the next, all closed together.
 */
export class PopPool {
  private readonly idle: Popper[] = [];
  private readonly all = new Set<Popper>();
  private closed = false;

  constructor(
    private readonly target: RedisTarget,
    private readonly namePrefix: string,
    private readonly control: Redis | Cluster,
    private keepIdle = 4,
  ) {}

  acquire(): Popper {
    return this.idle.pop() ?? this.create('receive');
  }

  /** A receive holds `count` pops at once (one per hash slot on a cluster): keep that many idle. */
  keepAtLeast(count: number): void {
    if (count > this.keepIdle) this.keepIdle = count;
  }

  release(pop: Popper): void {
    if (this.closed || pop.ended || this.idle.length >= this.keepIdle) {
      pop.disconnect();
      this.all.delete(pop);
    } else {
      this.idle.push(pop);
    }
  }

  /** A connection of its own for a long-lived reader (the inbox), closed with the rest. */
  create(role: string): Popper {
    const name = `${this.namePrefix}${role}`;
    const pop = this.control.isCluster
      ? new ClusterPop(this.control as Cluster, this.target, name)
      : new BlockingPop(openConnection(this.target, name) as Redis, this.control);
    this.all.add(pop);
    return pop;
  }

  closeAll(): void {
    this.closed = true;
    for (const pop of this.all) pop.disconnect();
  }
}
