import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A real redis-server of the test's own, on a free loopback port, with no persistence. */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    /** When set, the server requires it (`requirepass`) and `url` carries it. */
    readonly password?: string,
  ) {}

  get url(): string {
    return `redis://${this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }

  static async start(options: { password?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.password);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...(this.password === undefined ? [] : ['--requirepass', this.password])],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    this.child = child;
    child.once('error', (error) => {
      throw new Error(`cannot start redis-server (is it installed? .ci/run installs it): ${error.message}`);
    });
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await answersPing(this.port, this.password)) return;
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${this.port}`);
      await sleep(25);
    }
    throw new Error(`redis-server did not answer on port ${this.port}`);
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** Freezes the server (SIGSTOP): the kernel still accepts connections, nothing answers. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await once(child, 'exit');
    this.child = undefined;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function answersPing(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    let replies = '';
    socket.once('connect', () => socket.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (data) => {
      replies += data.toString();
      if (!replies.includes('+PONG') && !replies.includes('-')) return; // AUTH's +OK came alone
      socket.destroy();
      resolve(replies.includes('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
