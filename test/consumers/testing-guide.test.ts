/**
 * The README's testing guide, exactly as written: each ```ts block under "## Testing your
 * consumers" is copied out of the README into a module of its own (beside the Quick start's
 * app.ts, also copied out, as a user's project would have them) and run. Any drift between
 * the README, the app and the testing kit fails here.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { ROOT } from '../helpers/processes.js';
import { blockAsModule, quickStartApp, readmeSection, tsBlocks } from '../helpers/readme.js';

/** Inside the repository, so that `import … from 'switchyard'` resolves to this package. */
const DIR = join(ROOT, '.tmp', 'readme-testing-guide');

const blocks = tsBlocks(readmeSection('Testing your consumers'));
let redis: RedisServer | undefined;

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'app.ts'), quickStartApp());
  blocks.forEach((block, i) => writeFileSync(join(DIR, `block-${i + 1}.ts`), blockAsModule(block)));
});

afterAll(async () => {
  await redis?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

describe('the README testing guide, block by block as written', () => {
  it('has its four examples', () => {
    if (blocks.length !== 4) throw new Error(`expected 4 ts blocks under "## Testing your consumers", found ${blocks.length}`);
  });

  for (let i = 0; i < 4; i++) {
    it(`block ${i + 1}: ${blocks[i]?.split('\n').find((line) => !line.startsWith('import ') && line.trim() !== '')?.slice(0, 60) ?? ''}`, async () => {
      const usesRedis = blocks[i]!.includes('redisUrl');
      if (usesRedis) redis ??= await RedisServer.start();
      const { run } = (await import(join(DIR, `block-${i + 1}.ts`))) as { run: (redisUrl: string) => Promise<void> };
      await run(redis?.url ?? '');
    });
  }
});
