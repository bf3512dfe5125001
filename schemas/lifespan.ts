import { z } from 'zod';

/** Process-local: never crosses the channel layer. */
export const lifespanStartup = z.object({ type: z.literal('lifespan.startup') });
export const lifespanShutdown = z.object({ type: z.literal('lifespan.shutdown') });

export type LifespanStartup = z.infer<typeof lifespanStartup>;
export type LifespanShutdown = z.infer<typeof lifespanShutdown>;
