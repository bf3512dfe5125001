/**
 * Starting the switchyard processes of a target, shipped defaults or with extra flags
 * (`--log-level warn`). Their stdout goes to a file the suite reads only when asked, and at
 * `--log-level warn` they log nothing when ready anyway ("listening on …" and "worker started"
 * are info lines), so readiness is not read from the log: the server gets a free port picked
 * here and is ready once that port takes connections; the worker, once it blocks in a pop on
 * Redis (waitForBlockedWorkers, done by the caller).
 */
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv, type LayerEnv } from '../../test/helpers/processes.js';
import { APP } from './config.js';
import { SwitchyardChild } from './switchyard-child.js';

export interface Started {
  proc: SwitchyardChild;
  port: number;
}

/** `switchyard dev APP …flags` with JSON logs (its default is pretty), no Redis. */
export async function startDev(flags: string[]): Promise<Started> {
  const port = await freePort();
  return listening(new SwitchyardChild(['dev', APP, '--port', String(port), '--log-format', 'json', ...flags], childEnv()), port);
}

/** `switchyard serve APP …flags` on the layer. */
export async function startServe(layer: LayerEnv, flags: string[]): Promise<Started> {
  const port = await freePort();
  return listening(new SwitchyardChild(['serve', APP, '--port', String(port), ...flags], layerEnv(layer)), port);
}

/** `switchyard worker APP …flags` on the layer; the caller waits for it to block in a pop. */
export function startWorker(layer: LayerEnv, flags: string[]): SwitchyardChild {
  return new SwitchyardChild(['worker', APP, ...flags], layerEnv(layer));
}

function layerEnv({ redisUrl, prefix }: LayerEnv): NodeJS.ProcessEnv {
  return childEnv({ REDIS_URL: redisUrl, SWITCHYARD_PREFIX: prefix });
}

/** A port nothing listens on now (the OS's pick for port 0, released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const LISTEN_TIMEOUT_MS = 30_000;

/** Once 127.0.0.1:`port` accepts a connection; stopped and failed if it exits first (e.g. the port was taken) or takes too long. */
async function listening(proc: SwitchyardChild, port: number): Promise<Started> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  while (!(await accepts(port))) {
    const failure = proc.hasExited ? 'exited before listening' : Date.now() > deadline ? `did not listen on port ${port} within ${LISTEN_TIMEOUT_MS / 1000} s` : undefined;
    if (failure !== undefined) {
      await proc.stop(1_000);
      throw new Error(`${failure}: ${proc.output()}`);
    }
    await sleep(50);
  }
  return { proc, port };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
