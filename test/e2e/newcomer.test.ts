/**
 * A newcomer's first minutes, as the README tells them: the package as `npm pack` makes it,
 * installed into an empty project made by `npm init -y`, the Quick start's app.ts copied out
 * of the README byte for byte, and `npx switchyard dev app.ts`. Then the same app in an ESM
 * project, and as plain JavaScript. It fails whenever the README, the package or the loader
 * drift apart.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, listening, ROOT, SwitchyardProcess } from '../helpers/processes.js';
import { quickStartApp, readmeSection } from '../helpers/readme.js';
import { WsClient } from './ws-client.js';

const run = promisify(execFile);

/** The command the README gives for the Quick start, as it is written there. */
function quickStartCommand(): string[] {
  if (!/^npx switchyard dev app\.ts\b/m.test(readmeSection('Quick start'))) throw new Error('the README\'s Quick start does not say "npx switchyard dev app.ts"');
  return ['switchyard', 'dev', 'app.ts'];
}

let work: string;
let project: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'switchyard-newcomer-'));
  // The build is npm test's first step: pack what it built, as `npm publish` would.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  const tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  project = join(work, 'project');
  await run('mkdir', [project]);
  await run('npm', ['init', '-y'], { cwd: project });
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: project, env: { ...process.env, npm_config_update_notifier: 'false' } });
}, 180_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** `npx switchyard dev FILE` in the project, on a free port, until it listens. */
async function dev(file: string) {
  const [command, ...args] = quickStartCommand();
  args[args.length - 1] = file;
  const child = spawn('npx', ['--no-install', command!, ...args, '--port', '0', '--log-format', 'json'], { cwd: project, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  return listening(new SwitchyardProcess([...args], childEnv(), child));
}

async function quickStartWorks(file: string): Promise<void> {
  const { proc, url, wsUrl } = await dev(file);
  try {
    expect(await (await fetch(`${url}/hello`)).text()).toBe('hello');
    expect(await (await fetch(`${url}/users/42?q=x`)).json()).toEqual({ id: '42', q: 'x' });
    const body = randomBytes(100 * 1024);
    const echoed = await fetch(`${url}/echo`, { method: 'POST', body });
    expect(Buffer.from(await echoed.arrayBuffer()).equals(body)).toBe(true);
    const alice = await WsClient.open(`${wsUrl}/ws/chat/lobby`);
    const bob = await WsClient.open(`${wsUrl}/ws/chat/lobby`);
    try {
      await alice.send('hi bob');
      const [toBob] = await bob.waitForMessages(1);
      const [toAlice] = await alice.waitForMessages(1);
      expect([toBob!.text, toAlice!.text]).toEqual(['hi bob', 'hi bob']);
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  } finally {
    await proc.stop();
  }
}

function setType(type: 'commonjs' | 'module'): void {
  const path = join(project, 'package.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  manifest.type = type;
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

describe('a newcomer following the README', () => {
  it('npm init -y (a CommonJS project), npm install the packed package, the Quick start app.ts, npx switchyard dev app.ts', { timeout: 60_000 }, async () => {
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).type ?? 'commonjs').toBe('commonjs');
    writeFileSync(join(project, 'app.ts'), quickStartApp());
    await quickStartWorks('app.ts');
  });

  it('the same app.ts in an ESM project ("type": "module")', { timeout: 60_000 }, async () => {
    setType('module');
    writeFileSync(join(project, 'app.ts'), quickStartApp());
    await quickStartWorks('app.ts');
  });

  it('the same app as plain JavaScript: app.js in an ESM project, app.mjs in a CommonJS one', { timeout: 60_000 }, async () => {
    setType('module');
    writeFileSync(join(project, 'app.js'), quickStartApp());
    await quickStartWorks('app.js');
    setType('commonjs');
    writeFileSync(join(project, 'app.mjs'), quickStartApp());
    await quickStartWorks('app.mjs');
  });

  it('other module kinds: app.mts (TypeScript ESM) and app.cjs (require and module.exports) in a CommonJS project', { timeout: 60_000 }, async () => {
    setType('commonjs');
    writeFileSync(join(project, 'app.mts'), quickStartApp());
    await quickStartWorks('app.mts');
    writeFileSync(
      join(project, 'app.cjs'),
      "const { createApp, text } = require('switchyard');\nconst app = createApp();\napp.get('/hello', () => text('hello'));\nmodule.exports = app;\n",
    );
    const { proc, url } = await dev('app.cjs');
    try {
      expect(await (await fetch(`${url}/hello`)).text()).toBe('hello');
    } finally {
      await proc.stop();
    }
  });

  it('the package installs without a build step and carries its types and command', () => {
    const installed = join(project, 'node_modules', 'switchyard');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string>; types: string };
    expect(readFileSync(join(installed, manifest.bin.switchyard!), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(readFileSync(join(installed, manifest.types), 'utf8')).toContain('createApp');
  });
});
