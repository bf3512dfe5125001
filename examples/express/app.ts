/**
 * One app, one port: an existing Express app under /api, a Hono app under /edge, and native
 * switchyard WebSocket consumers under /ws, all run by the same workers.
 *
 *     switchyard dev examples/express/app.ts
 *     curl localhost:8000/api/todos          # Express
 *     curl localhost:8000/edge/time          # Hono
 *     websocat ws://localhost:8000/ws/todos  # native: hears every new todo
 */
import express from 'express';
import { Hono } from 'hono';
import { createApp, fromFetch, fromNode } from 'switchyard';

// The Express app, as it was: no switchyard in it. (Workers are stateless: in production the
// todos would live in a database, not in this array.)
const api = express();
api.use(express.json());
const todos: { id: number; title: string }[] = [{ id: 1, title: 'try switchyard' }];
api.get('/api/todos', (_req, res) => res.json(todos));
api.post('/api/todos', (req, res) => {
  const todo = { id: todos.length + 1, title: String(req.body?.title ?? '') };
  todos.push(todo);
  res.status(201).json(todo);
});

const edge = new Hono();
edge.get('/edge/time', (c) => c.json({ now: new Date().toISOString() }));

const app = createApp();
app.all('/api/*', fromNode(api));
app.all('/edge/*', fromFetch(edge.fetch));

// A native consumer next to them; the Express app's writes reach it through a group.
app.websocket('/ws/todos', {
  async connect(ctx) {
    await ctx.groupAdd('todos');
    await ctx.accept();
  },
  events: { 'todo.added': (ctx, event) => ctx.send(JSON.stringify({ added: event.at })) },
});
// Middleware sees every request, whichever framework serves it: tell the listeners when a
// todo was posted (they fetch /api/todos for the details).
app.use(async (ctx, next) => {
  await next();
  if (ctx.kind === 'http' && ctx.request.method === 'POST' && ctx.request.path === '/api/todos') {
    await ctx.groupSend('todos', { type: 'todo.added', at: new Date().toISOString() });
  }
});

export default app;
