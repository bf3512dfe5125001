/**
 * The path patterns apps route with and the manifest hands to the interface server:
 * `/users/:id` (one segment per parameter), `/files/*` (anything below, as param `*`),
 * exact text otherwise. A trailing slash is optional.
 */
export interface PathPattern {
  readonly source: string;
  /** The parameters of a matching path (percent-decoded), or undefined. */
  match(path: string): Record<string, string> | undefined;
}

export function compilePathPattern(source: string): PathPattern {
  if (!source.startsWith('/')) throw new TypeError(`path pattern ${JSON.stringify(source)} must start with "/"`);
  const names: string[] = [];
  const body = source
    .replace(/\/$/, '')
    .split('/')
    .map((segment, i, all) => {
      if (segment === '*' && i === all.length - 1) {
        names.push('*');
        return '(.*)';
      }
      if (segment.startsWith(':')) {
        const name = segment.slice(1);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`bad parameter name in path pattern ${JSON.stringify(source)}`);
        names.push(name);
        return '([^/]+)';
      }
      return segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${body}/?$`);
  return {
    source,
    match(path) {
      const found = regex.exec(path);
      if (found === null) return undefined;
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = found[i + 1] ?? ''));
      return params;
    },
  };
}
