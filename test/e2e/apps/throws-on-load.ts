// An app whose module throws while loading (test/e2e/cli.test.ts).
import { createApp } from '../../../index.js';

const app = createApp();
if (app) throw new Error('the database URL is missing');

export default app;
