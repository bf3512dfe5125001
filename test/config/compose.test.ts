/**
 * docker-compose.yml configures the processes with the variables the commands read: a name the
 * CLI does not know would be silently ignored there, so it is caught here instead.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_FLAG, SETTING_FLAGS } from '../../bin/config/flags.js';

const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  it('sets only environment variables that serve and worker read', () => {
    // Upper-case keys are environment variables; compose's own keys are lower-case.
    const names = [...compose.matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(5);
    const known = new Set([CONFIG_FLAG.env, ...SETTING_FLAGS.filter((f) => f.commands.includes('serve') || f.commands.includes('worker')).map((f) => f.env)]);
    for (const name of names) expect(known, `${name} is not read by switchyard serve or worker`).toContain(name);
  });
});
