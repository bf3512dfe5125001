import type { z } from 'zod';

/**
 * Parses a component's options, or throws a TypeError naming the option at fault: its path, or
 * for a misspelt one (which has no path of its own) the unknown name.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, component: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => [...at, key].join('.'));
    throw new TypeError(`unknown ${component} option${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}`);
  }
  throw new TypeError(`invalid ${component} option "${at.join('.')}": ${issue.message}`);
}
