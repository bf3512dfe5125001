import type { Redis } from 'ioredis';
import { BlockingPop } from './blocking-pop.js';
import { openConnection, type RedisTarget } from './connection.js';

/**
 * The layer's blocking connections: one per receive in progress (a blocked connection can do
 * nothing else), a few kept idle for the next, all closed together.
 */
export class PopPool {
  private readonly idle: BlockingPop[] = [];
  private readonly all = new Set<BlockingPop>();
  private closed = false;

  constructor(
    private readonly target: RedisTarget,
    private readonly namePrefix: string,
    private readonly control: Redis,
    private readonly keepIdle = 4,
  ) {}

  acquire(): BlockingPop {
    return this.idle.pop() ?? this.create('receive');
  }

  release(pop: BlockingPop): void {
    if (this.closed || pop.redis.status === 'end' || this.idle.length >= this.keepIdle) {
      pop.disconnect();
      this.all.delete(pop);
    } else {
      this.idle.push(pop);
    }
  }

  /** A connection of its own for a long-lived reader (the inbox), closed with the rest. */
  create(role: string): BlockingPop {
    const pop = new BlockingPop(openConnection(this.target, `${this.namePrefix}${role}`), this.control);
    this.all.add(pop);
    return pop;
  }

  closeAll(): void {
    this.closed = true;
    for (const pop of this.all) pop.disconnect();
  }
}
