/**
 * The quickstart app. Run it on the in-memory layer with `npm start`
 * (= `switchyard dev examples/quickstart/app.ts`), or unchanged on Redis:
 *
 *     switchyard serve examples/quickstart/app.ts      # the interface server
 *     switchyard worker examples/quickstart/app.ts     # as many as you like
 */
import { fileURLToPath } from 'node:url';
import { createApp, stream, text } from 'switchyard';

const app = createApp();

// GET / is the chat page, served by the interface server itself.
app.static('/', fileURLToPath(new URL('./public', import.meta.url)));

app.get('/hello', () => text('hello'));

// The request body streamed back chunk by chunk as it arrives.
app.post('/echo', (request) =>
  stream(request.stream(), { headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' } }),
);

app.websocket('/ws/echo', {
  receive: (ctx, message) => ctx.send(message.text ?? message.bytes!),
});

/** Every message from a member goes to every member of the room, the sender included. */
app.websocket<{ name: string }>('/ws/chat/:room', {
  async connect(ctx) {
    await ctx.groupAdd(`room.${ctx.params.room}`);
    ctx.state.name = ctx.query.get('name') || `guest-${Math.floor(Math.random() * 1000)}`;
    await ctx.accept();
  },
  async receive(ctx, message) {
    if (message.text === undefined) return;
    await ctx.groupSend(`room.${ctx.params.room}`, { type: 'chat.message', from: ctx.state.name, text: message.text });
  },
  async disconnect(ctx) {
    await ctx.groupDiscard(`room.${ctx.params.room}`);
  },
  events: {
    'chat.message': (ctx, event) => ctx.send(JSON.stringify({ from: event.from, text: event.text })),
  },
});

export default app;
