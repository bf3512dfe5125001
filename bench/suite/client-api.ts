/** The suite's side of a WebSocket client process (client.ts). */
import type { ChildProcess } from 'node:child_process';
import { nextMessage } from '../child-message.js';
import { forkTracked, stopChild } from './children.js';
import type { FromClient, ToClient } from './client-protocol.js';
import { CLIENT, ROOT } from './config.js';

export class Client {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<Client> {
    // Its output goes to our stderr: stdout carries the table only.
    const client = new Client(forkTracked(CLIENT, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] }));
    try {
      await client.next('ready', 30_000);
    } catch (error) {
      await client.stop();
      throw error;
    }
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `message` and waits for the answer of `kind`; rejects on the client's error, exit or after `timeoutMs`. */
  request<K extends FromClient['kind']>(message: ToClient, kind: K, timeoutMs: number): Promise<Extract<FromClient, { kind: K }>> {
    const answer = this.next(kind, timeoutMs);
    this.child.send(message);
    return answer;
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 2_000);
  }

  private next<K extends FromClient['kind']>(kind: K, timeoutMs: number): Promise<Extract<FromClient, { kind: K }>> {
    return nextMessage<FromClient, K>(this.child, kind, {
      timeoutMs,
      label: 'client',
      failure: (message) => (message.kind === 'error' ? message.message : undefined),
    });
  }
}
