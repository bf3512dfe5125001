/** The Express app of bench/adapter.ts, as it would be without switchyard. */
import express from 'express';

export const expressApp = express();
expressApp.get('/express/hello', (_req, res) => res.type('text/plain').send('hello'));
