/**
 * The quickstart app. Run it on the in-memory layer with `npm start`
 * (= `switchyard dev examples/quickstart/app.ts`), or unchanged on Redis:
 *
 *     switchyard serve examples/quickstart/app.ts      # the interface server
 *     switchyard worker examples/quickstart/app.ts     # as many as you like
 */
import { fileURLToPath } from 'node:url';
import { createApp, json, stream, text } from 'switchyard';

const app = createApp();

// GET / is the chat page, served by the interface server itself, with switchyard/client for it.
app.static('/', fileURLToPath(new URL('./public', import.meta.url)));
app.static('/switchyard', fileURLToPath(new URL('.', import.meta.resolve('switchyard/client'))));

// Every room keeps its last 100 lines for 10 minutes: a client that reconnects (a reload, a
// network change, a server restart) gets the lines it missed, each once and in order.
app.history('room.*', { size: 100, maxAgeMs: 10 * 60_000 });

app.get('/hello', () => text('hello'));

// The request body streamed back chunk by chunk as it arrives.
app.post('/echo', (request) =>
  stream(request.stream(), { headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' } }),
);

app.websocket('/ws/echo', {
  receive: (ctx, message) => ctx.send(message.text ?? message.bytes!),
});

/** Every line from a member goes to every member of the room, the sender included. */
app.websocket<{ name: string }>('/ws/chat/:room', {
  async connect(ctx) {
    ctx.state.name = ctx.query.get('name') || `guest-${Math.floor(Math.random() * 1000)}`;
    await ctx.groupAdd(`room.${ctx.params.room}`, { info: { user: ctx.state.name } });
    await ctx.accept();
  },
  async receive(ctx, message) {
    if (message.text === undefined) return;
    // Written by the interface servers to every member, and kept in the room's history.
    await ctx.broadcast(`room.${ctx.params.room}`, JSON.stringify({ from: ctx.state.name, text: message.text }));
  },
  async disconnect(ctx) {
    await ctx.groupDiscard(`room.${ctx.params.room}`);
  },
});

/** Who is in a room: connections, and distinct names among them. */
app.get('/chat/:room/presence', async (_request, ctx) => json(await ctx.presenceStats(`room.${ctx.params.room}`)));

export default app;
