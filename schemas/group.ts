import { z } from 'zod';
import { channelName } from './common.js';

export const groupName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, 'group names are ASCII letters, digits, "-", "_" and "."');

/** Any message with a string `type`: what a group or a named channel carries. */
export const anyMessage = z.looseObject({ type: z.string().min(1) });

export const groupAdd = z.object({
  type: z.literal('group.add'),
  group: groupName,
  channel: channelName,
});

export const groupDiscard = z.object({
  type: z.literal('group.discard'),
  group: groupName,
  channel: channelName,
});

export const groupSend = z.object({
  type: z.literal('group.send'),
  group: groupName,
  message: anyMessage,
});

export type AnyMessage = z.infer<typeof anyMessage>;
export type GroupAdd = z.infer<typeof groupAdd>;
export type GroupDiscard = z.infer<typeof groupDiscard>;
export type GroupSend = z.infer<typeof groupSend>;
