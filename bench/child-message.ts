import type { ChildProcess } from 'node:child_process';

/**
 * The child's next IPC message of `kind`. Rejects if the child exits first, if `failure`
 * recognises a message as an error report, or after `timeoutMs`.
 */
export function nextMessage<M extends { kind: string }, K extends M['kind']>(
  child: ChildProcess,
  kind: K,
  { timeoutMs, label, failure }: { timeoutMs: number; label: string; failure?: (message: M) => string | undefined },
): Promise<Extract<M, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(new Error(`${label} ${child.pid}: no "${kind}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: M): void => {
      if (message.kind === kind) return settle(undefined, message as Extract<M, { kind: K }>);
      const problem = failure?.(message);
      if (problem !== undefined) settle(new Error(`${label} ${child.pid}: ${problem}`));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      settle(new Error(`${label} ${child.pid} exited (${code ?? signal}) before "${kind}"`));
    function settle(error: Error | undefined, message?: Extract<M, { kind: K }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
