/** How much the latest run weighs in a consumer's typical time. */
const WEIGHT = 0.2;

export type Verdict = 'run' | 'expired' | 'late';

/**
 * Work nobody waits for is not done. An `http.request` carries the moment its client stops
 * waiting (`deadline`). Under overload requests wait in the channel, and a worker that kept
 * taking them in order would spend every slot on requests whose clients were already answered
 * 504 (or would be, before it finished). So a request taken after its deadline is dropped unrun
 * ("expired"), and one taken with less time left than its consumer typically takes to respond is answered
 * 503 at once ("late"): its slot goes to a request that can still be served, and its client
 * hears at once instead of at the deadline.
 */
export class Admission {
  /** Consumer → its typical time to a response (ms), a moving average. */
  private readonly typicalMs = new Map<string, number>();
  readonly shed = { expired: 0, late: 0 };

  verdict(consumer: string, deadline: number | undefined, now = Date.now()): Verdict {
    if (deadline === undefined) return 'run';
    const left = deadline - now;
    if (left <= 0) return this.count('expired');
    if (left < (this.typicalMs.get(consumer) ?? 0)) return this.count('late');
    return 'run';
  }

  /** `consumer` had its response ready `ms` after it was taken (failures not counted). */
  took(consumer: string, ms: number): void {
    const typical = this.typicalMs.get(consumer);
    this.typicalMs.set(consumer, typical === undefined ? ms : typical + WEIGHT * (ms - typical));
  }

  private count(verdict: 'expired' | 'late'): Verdict {
    this.shed[verdict]++;
    return verdict;
  }
}
