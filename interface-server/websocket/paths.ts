/**
 * Which paths take WebSockets, from patterns such as `/ws/chat/:room` (one segment per
 * parameter) and `/live/*` (anything below). No patterns: every path does.
 */
export class PathMatcher {
  private readonly patterns: RegExp[] | undefined;

  constructor(patterns: readonly string[] | undefined) {
    this.patterns = patterns?.map(toRegExp);
  }

  matches(path: string): boolean {
    return this.patterns === undefined || this.patterns.some((pattern) => pattern.test(path));
  }
}

function toRegExp(pattern: string): RegExp {
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}
