import { startPythonWorker } from '../helpers/python-worker.js';
import { workerConformance } from './kit.js';

/**
 * The conformance kit against the Python worker (workers/python) running the kit's ASGI app,
 * one request at a time: a worker with no room must still read its inbox (body chunks, credit)
 * and take the next request once the last is done.
 */
workerConformance('the Python worker (ASGI)', async (layer) => {
  const worker = await startPythonWorker('conformance_app:app', layer, ['--concurrency', '1']);
  return { pid: worker.child.pid!, stop: () => worker.stop() };
});
