/**
 * The README's adapter guide, exactly as written: its app (Express under /api, Hono under
 * /edge, a WebSocket consumer) copied out of the README into a module and run on a test bed.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCommunicator, TestBed, WebSocketCommunicator } from '../../consumers/testing/index.js';
import { ROOT } from '../helpers/processes.js';
import { readmeSection, tsBlocks } from '../helpers/readme.js';

const DIR = join(ROOT, '.tmp', 'readme-adapter-guide');
let bed: TestBed;

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const [block] = tsBlocks(readmeSection('Bringing an existing app: adapters'));
  writeFileSync(join(DIR, 'app.ts'), block!);
  const { default: app } = await import(join(DIR, 'app.ts'));
  bed = new TestBed(app);
});

afterAll(async () => {
  await bed?.close();
  rmSync(DIR, { recursive: true, force: true });
});

describe('the README adapter guide, as written', () => {
  it('Express answers under /api, Hono under /edge, and the WebSocket consumer beside them', async () => {
    const http = new HttpCommunicator(bed);
    const todos = await http.get('/api/todos');
    expect([todos.status, todos.json()]).toEqual([200, []]);
    const time = await http.get('/edge/time');
    expect(time.status).toBe(200);
    expect(typeof (time.json() as { now: unknown }).now).toBe('number');
    const ws = new WebSocketCommunicator(bed, '/ws/live');
    expect((await ws.connect()).accepted).toBe(true);
    await ws.sendText('ping');
    expect(await ws.receive()).toEqual({ text: 'ping' });
    await ws.disconnect();
  });
});
