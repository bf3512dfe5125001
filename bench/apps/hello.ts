/**
 * The switchyard app of bench/adapter.ts: one trivial handler (200 'hello', text/plain) three
 * ways: a native consumer, the Express app through fromNode, a Hono app through fromFetch.
 */
import { Hono } from 'hono';
import { createApp, fromFetch, fromNode, text } from 'switchyard';
import { expressApp } from './express-hello.js';

const hono = new Hono();
hono.get('/hono/hello', (c) => c.text('hello'));

const app = createApp();
app.get('/native/hello', () => text('hello'));
app.all('/express/*', fromNode(expressApp));
app.all('/hono/*', fromFetch(hono.fetch));

export default app;
