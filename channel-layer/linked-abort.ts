import { setMaxListeners } from 'node:events';

/**
 * An AbortController that aborts when any parent signal does, and detaches from its parents
 * on `dispose()`. Used instead of `AbortSignal.any`, which stays linked to a long-lived parent
 * (the layer's closing signal) and leaks one entry per call (nodejs/node#55351): receive
 * loops call it thousands of times a second.
 */
export class LinkedAbort {
  private readonly controller = new AbortController();
  private readonly parents: AbortSignal[];
  private readonly onParentAbort = (event: Event): void => {
    this.abort((event.target as AbortSignal).reason);
  };

  constructor(...parents: (AbortSignal | undefined)[]) {
    this.parents = parents.filter((p): p is AbortSignal => p !== undefined);
    for (const parent of this.parents) {
      if (parent.aborted) {
        this.controller.abort(parent.reason);
        break;
      }
      parent.addEventListener('abort', this.onParentAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    this.dispose();
    this.controller.abort(reason);
  }

  dispose(): void {
    for (const parent of this.parents) parent.removeEventListener('abort', this.onParentAbort);
  }
}

/** A controller whose signal may have any number of listeners (one per pending receive). */
export function unlimited(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
