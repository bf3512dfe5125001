/**
 * The README's configuration reference is generated from the settings schemas: these tests
 * fail when it falls behind them (`npm run docs` brings it up to date).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTING_FLAGS } from '../../bin/config/flags.js';
import { configReference } from '../../bin/config/reference.js';
import { settingsSchema } from '../../bin/config/schema.js';
import { withReference } from '../../scripts/docs.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('configuration reference', () => {
  it('in the README is what the schemas say (run `npm run docs` if this fails)', () => {
    expect(withReference(readme)).toBe(readme);
  });

  it('lists every setting that has a flag, with its flag and environment variable', () => {
    const reference = configReference();
    for (const flag of SETTING_FLAGS) {
      const line = reference.split('\n').find((l) => l.startsWith(`| \`${flag.setting}\` |`));
      expect(line, flag.setting).toBeDefined();
      expect(line).toContain(`\`${flag.env}\``);
      expect(line).toContain(`\`${flag.flags.split(' ')[0]!.replace(',', '')}\``);
    }
  });

  it('gives every setting a meaning and a default (or says what stands in for one)', () => {
    const rows = configReference().split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) {
      const cells = row.split(' | ');
      expect(cells[5]!.replace(/ \|$/, '').trim(), row).not.toBe('');
      expect(cells[3]!.trim(), row).not.toBe('none');
    }
  });

  it("the README's example config file is valid", () => {
    const section = readme.slice(readme.indexOf('\n## Configuration\n'));
    const example = section.slice(section.indexOf('```json\n') + 8, section.indexOf('\n```', section.indexOf('```json\n')));
    const result = settingsSchema.safeParse(JSON.parse(example));
    expect(result.error?.issues ?? []).toEqual([]);
  });
});
