import { startPythonWorker } from '../helpers/python-worker.js';
import { workerConformance } from './kit.js';

/** The conformance kit against the Python worker (workers/python) running the kit's ASGI app. */
workerConformance('the Python worker (ASGI)', async (layer) => {
  const worker = await startPythonWorker('conformance_app:app', layer);
  return { pid: worker.child.pid!, stop: () => worker.stop() };
});
