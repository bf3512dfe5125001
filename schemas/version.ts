/**
 * Version of the message vocabulary and its wire envelope. A receiver refuses envelopes of
 * another version rather than guessing, so a rolling deploy that mixes versions fails loudly.
 */
export const PROTOCOL_VERSION = 1;
