export { DurableAdmin, durableSender, type DeadLetter, type DurableCounts } from './admin.js';
export { DurableSender } from './sender.js';
export { durableOptions, type DurableOptions, type DurableOptionsInput, type SendOptions } from './options.js';
export type { DurableConfig } from './connection.js';
