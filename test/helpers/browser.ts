import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

/** Debian's Chromium (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A real headless Chromium driven over the DevTools protocol (CDP), with one page: enough to
 * load a page, run script in it, and reload it. No driver library: the protocol over `ws`.
 */
export class Browser {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private sessionId = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(`CDP: ${message.error.message}`));
      else waiter?.resolve(message.result);
    });
  }

  static async launch(): Promise<Browser> {
    const profile = await mkdtemp(join(tmpdir(), 'switchyard-chromium-'));
    const child = spawn(CHROMIUM, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
      stdio: 'ignore',
    });
    child.once('error', () => {});
    // Chromium writes its DevTools port and browser path to this file once it listens.
    let endpoint: string | undefined;
    for (let i = 0; i < 200 && endpoint === undefined; i++) {
      const text = await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '');
      const [port, path] = text.split('\n');
      if (port && path) endpoint = `ws://127.0.0.1:${port}${path}`;
      else await sleep(50);
    }
    if (endpoint === undefined) {
      child.kill('SIGKILL');
      throw new Error(`Chromium (${CHROMIUM}) did not start: is it installed? .ci/run installs it`);
    }
    const socket = new WebSocket(endpoint, { perMessageDeflate: false });
    await once(socket, 'open');
    const browser = new Browser(child, profile, socket);
    const { targetId } = (await browser.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    browser.sessionId = sessionId;
    await browser.send('Page.enable', {}, true);
    return browser;
  }

  /** A CDP command, to the browser or (`onPage`) to the page. */
  send(method: string, params: Record<string, unknown> = {}, onPage = false): Promise<unknown> {
    const id = ++this.nextId;
    this.socket.send(JSON.stringify({ id, method, params, ...(onPage ? { sessionId: this.sessionId } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  async goto(url: string): Promise<void> {
    await this.send('Page.navigate', { url }, true);
  }

  async reload(): Promise<void> {
    await this.send('Page.reload', { ignoreCache: true }, true);
  }

  /** The value of `expression` in the page (awaited if a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const result = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, true)) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (result.exceptionDetails !== undefined) throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    return result.result.value as T;
  }

  /** Polls `expression` until it is truthy; fails with what it last was. */
  async waitFor<T>(expression: string, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const value = await this.evaluate<T>(expression).catch((error: Error) => {
        last = error.message; // the page is not there yet, say
        return undefined;
      });
      if (value) return value;
      if (value !== undefined) last = value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    this.socket.close();
    this.child.kill('SIGKILL');
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'exit');
    await rm(this.profile, { recursive: true, force: true });
  }
}
