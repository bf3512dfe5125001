import { startWorker } from '../helpers/processes.js';
import { workerConformance } from './kit.js';

/** The conformance kit against switchyard's own worker (`switchyard worker`). */
workerConformance('the TypeScript worker', async (layer) => {
  const worker = await startWorker('test/conformance/apps/conformance-app.ts', layer);
  return { pid: worker.pid, stop: async () => void (await worker.kill()) };
});
