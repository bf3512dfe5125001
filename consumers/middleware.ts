import type { AnyContext, Middleware } from './types.js';

/** Runs `middleware` around `consumer`, outermost first; each calls `next()` at most once. */
export function compose<C extends AnyContext>(middleware: readonly Middleware[], ctx: C, consumer: () => Promise<void>): Promise<void> {
  if (middleware.length === 0) return consumer();
  let reached = -1;
  const step = async (i: number): Promise<void> => {
    if (i <= reached) throw new Error('a middleware called next() twice');
    reached = i;
    if (i === middleware.length) return consumer();
    await middleware[i]!(ctx, () => step(i + 1));
  };
  return step(0);
}
