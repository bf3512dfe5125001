import { compilePathPattern, type PathPattern } from '../../schemas/index.js';

/** Which paths take WebSockets (the app's manifest patterns). No patterns: every path does. */
export class PathMatcher {
  private readonly patterns: PathPattern[] | undefined;

  constructor(patterns: readonly string[] | undefined) {
    this.patterns = patterns?.map(compilePathPattern);
  }

  matches(path: string): boolean {
    return this.patterns === undefined || this.patterns.some((pattern) => pattern.match(path) !== undefined);
  }
}
