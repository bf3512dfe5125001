import { z } from 'zod';

export const groupName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, 'group names are ASCII letters, digits, "-", "_" and "."');

/** Any message with a string `type`: what a group or a named channel carries. */
export const anyMessage = z.looseObject({ type: z.string().min(1) });

export type AnyMessage = z.infer<typeof anyMessage>;
