/**
 * The switchyard app of the differential tests: the very same framework app objects the direct
 * servers run, each mounted under its own prefix.
 *
 *     switchyard dev test/adapters/apps/switchyard-app.ts
 */
import { createApp, fromFetch, fromNode } from 'switchyard';
import express4 from './express4.js';
import express5 from './express5.js';
import hono from './hono.js';
import koa from './koa.js';
import plain from './plain.js';

const app = createApp();
app.all('/express5/*', fromNode(express5));
app.all('/express4/*', fromNode(express4));
app.all('/koa/*', fromNode(koa.callback()));
app.all('/hono/*', fromFetch(hono.fetch));
app.all('/plain/*', fromNode(plain));

export default app;
