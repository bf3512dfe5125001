/**
 * `npm run bench:cluster [-- --rounds N --seconds S]`: the Redis Cluster comparison of
 * bench/cluster/compare.ts alone (`npm run bench` runs it after its main table). Needs wrk and
 * redis-server.
 */
import { killEverything } from './suite/children.js';
import { compareCluster } from './cluster/compare.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};

compareCluster({ rounds: option('rounds', 3), seconds: option('seconds', 5), members: option('members', 1000), broadcasts: option('broadcasts', 20) }).then(
  (section) => {
    console.log(`\n${section}`);
    process.exit(0);
  },
  async (error: unknown) => {
    console.error(error);
    await killEverything();
    process.exit(1);
  },
);
