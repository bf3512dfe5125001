/**
 * A WebSocket client process of bench/suite.ts, forked so that the clients never share the
 * server's event loop. Takes one command at a time over IPC (client-protocol.ts).
 */
import WebSocket from 'ws';
import { percentile } from '../stats.js';
import { broadcastText, now, type FromClient, type ToClient } from './client-protocol.js';

const held: WebSocket[] = [];
let control: WebSocket | undefined;
/** Broadcast receipts by id: how many members got it, when the last did, when it was sent. */
const receipts = new Map<number, { count: number; last: number; sentAt: number }>();
/** Members the server closed, by close code. */
const closedByServer: Record<string, number> = {};
let expectedMembers = 0;
/** Members still open: a broadcast is complete once each of them has it (a closed one never will). */
let openMembers = 0;
let closing = false;

function reply(message: FromClient): void {
  process.send!(message);
}

class Errors {
  readonly samples: string[] = [];
  count = 0;
  add(message: string): void {
    this.count++;
    if (this.samples.length < 5 && !this.samples.includes(message)) this.samples.push(message);
  }
}

/** Opens one connection; rejects with why it did not open (status of a refused handshake, error). */
function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 15_000, perMessageDeflate: false });
    ws.once('open', () => {
      ws.off('error', onError);
      ws.on('error', () => {}); // a later failure shows as 'close'
      resolve(ws);
    });
    const onError = (error: Error): void => reject(new Error(`error: ${error.message}`));
    ws.once('error', onError);
    ws.once('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      reject(new Error(`handshake answered ${res.statusCode}`));
    });
  });
}

async function echo({ url, connections, bytes, warmupMs, durationMs }: Extract<ToClient, { cmd: 'echo' }>): Promise<FromClient> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(url)));
  const payload = 'x'.repeat(bytes);
  const errors = new Errors();
  const rtts: number[] = [];
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          let sentAt = 0;
          const next = (): void => {
            if (performance.now() >= end) {
              ws.close();
              resolve();
              return;
            }
            sentAt = performance.now();
            ws.send(payload);
          };
          ws.on('message', (data, isBinary) => {
            const at = performance.now();
            if (isBinary || data.toString() !== payload) errors.add('an echo differed from what was sent');
            if (sentAt >= measureFrom) rtts.push(at - sentAt);
            next();
          });
          ws.once('close', (code) => {
            if (performance.now() < end) errors.add(`closed by the server with ${code} before the end`);
            resolve();
          });
          next();
        }),
    ),
  );
  const sorted = Float64Array.from(rtts).sort();
  if (sorted.length === 0) throw new Error(`no echo came back (${errors.samples.join('; ')})`);
  return { kind: 'echo', messages: sorted.length, seconds: durationMs / 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: errors.samples };
}

/** Opens `count` connections, `concurrency` at a time; members record broadcast receipts. */
async function open({ url, count, concurrency }: Extract<ToClient, { cmd: 'open' }>): Promise<FromClient> {
  const errors = new Errors();
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < count) {
      next++;
      try {
        const ws = await connect(url);
        held.push(ws);
        openMembers++;
        ws.on('message', (data) => {
          const at = now();
          const [id, sentAt] = data.toString().split(':').map(Number);
          const receipt = receipts.get(id!) ?? { count: 0, last: 0, sentAt: sentAt! };
          receipt.count++;
          receipt.last = Math.max(receipt.last, at);
          receipts.set(id!, receipt);
        });
        ws.once('close', (code) => {
          openMembers--;
          if (!closing) closedByServer[code] = (closedByServer[code] ?? 0) + 1;
        });
      } catch (error) {
        errors.add((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, opener));
  expectedMembers = openMembers;
  return { kind: 'opened', open: held.length, failed: errors.count, errors: errors.samples };
}

async function broadcast({ id, send, timeoutMs }: Extract<ToClient, { cmd: 'broadcast' }>): Promise<FromClient> {
  if (send) {
    if (control === undefined) throw new Error('no control connection');
    control.send(broadcastText(id, now()));
  }
  const deadline = performance.now() + timeoutMs;
  while ((receipts.get(id)?.count ?? 0) < openMembers && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const receipt = receipts.get(id);
  return {
    kind: 'broadcast',
    id,
    expected: expectedMembers,
    received: receipt?.count ?? 0,
    lastMs: receipt === undefined ? undefined : receipt.last - receipt.sentAt,
    closedByServer: { ...closedByServer },
  };
}

async function connects({ url, concurrency, warmupMs, durationMs }: Extract<ToClient, { cmd: 'connects' }>): Promise<FromClient> {
  const errors = new Errors();
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  let completed = 0;
  let failed = 0;
  const opener = async (): Promise<void> => {
    while (performance.now() < end) {
      try {
        const ws = await connect(url);
        if (performance.now() >= measureFrom && performance.now() < end) completed++;
        const closed = new Promise((resolve) => ws.once('close', resolve));
        ws.close();
        await closed;
      } catch (error) {
        if (performance.now() >= measureFrom) failed++;
        errors.add((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, opener));
  return { kind: 'connects', completed, failed, seconds: durationMs / 1000, errors: errors.samples };
}

async function closeAll(): Promise<FromClient> {
  closing = true;
  for (const ws of [...held, ...(control ? [control] : [])]) ws.terminate();
  held.length = 0;
  control = undefined;
  return { kind: 'closed' };
}

async function handle(message: ToClient): Promise<FromClient> {
  switch (message.cmd) {
    case 'echo':
      return echo(message);
    case 'open':
      return open(message);
    case 'control':
      control = await connect(message.url);
      return { kind: 'controlReady' };
    case 'broadcast':
      return broadcast(message);
    case 'connects':
      return connects(message);
    case 'closeAll':
      return closeAll();
  }
}

process.on('message', (message: ToClient) => {
  handle(message).then(reply, (error: unknown) => reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
});
process.once('disconnect', () => process.exit(0));
reply({ kind: 'ready' });
