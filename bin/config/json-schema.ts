import { z } from 'zod';
import { settingsSchema } from './schema.js';

/** A JSON Schema node, as far as the settings use it. */
export interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

/**
 * The settings as JSON Schema: what a setting's flag text converts to, what an error says is
 * allowed, and the README's reference all read the same description of each setting.
 */
export const settingsJsonSchema = z.toJSONSchema(settingsSchema, { io: 'input', unrepresentable: 'any' }) as SchemaNode;

/** The node at a dotted path or an issue's path (array indexes step into `items`). */
export function nodeAt(path: string | readonly PropertyKey[]): SchemaNode | undefined {
  const steps = typeof path === 'string' ? path.split('.') : path;
  let node: SchemaNode | undefined = settingsJsonSchema;
  for (const step of steps) {
    if (node === undefined) return undefined;
    node = typeof step === 'number' ? node.items : node.properties?.[String(step)];
  }
  return node;
}

/** What a setting takes, in words: `a whole number from 0 to 65535`, `one of: json, pretty`. */
export function allowedValues(node: SchemaNode): string | undefined {
  if (node.enum) return `one of: ${node.enum.join(', ')}`;
  if (node.type === 'boolean') return 'true or false';
  if (node.type === 'integer' || node.type === 'number') {
    const what = node.type === 'integer' ? 'a whole number' : 'a number';
    const min = node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + (node.type === 'integer' ? 1 : 0) : node.minimum;
    const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
    if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
    if (min !== undefined) return `${what} ≥ ${min}`;
    if (max !== undefined) return `${what} ≤ ${max}`;
    return what;
  }
  if (node.type === 'array') {
    const items = node.items?.type === 'string' ? 'strings' : 'objects';
    return `a list of ${items} (a JSON array in the file, comma-separated in a flag or environment variable)`;
  }
  if (node.type === 'string') return 'a string';
  if (node.type === 'object') return 'an object (a section of settings)';
  return undefined;
}
