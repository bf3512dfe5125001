/**
 * The conformance kit's app for the TypeScript worker; apps/conformance_app.py is the same app
 * for ASGI workers. Both must answer alike (kit.ts).
 */
import { createApp, stream, text } from 'switchyard';

const app = createApp();
let ticks = 0;

app.get('/hello', (request) => text(`hello ${request.query.get('name') ?? ''}`.trim()));
app.post('/echo', async (request) => new Response(await request.bytes(), { headers: { 'content-type': 'application/octet-stream' } }));
app.get('/stream', (request) => {
  const count = Number(request.query.get('chunks') ?? '40');
  return stream(
    (async function* () {
      for (let i = 0; i < count; i++) yield `chunk ${i}\n`;
    })(),
    { headers: { 'content-type': 'text/plain' } },
  );
});
app.get('/boom', () => {
  throw new Error('boom');
});
app.get('/tick', () => text(String(++ticks)));
app.get('/ticks', () => text(String(ticks)));

app.websocket('/ws/echo', {
  async connect(ctx) {
    await ctx.accept(ctx.subprotocols.includes('chat') ? { subprotocol: 'chat' } : {});
  },
  async receive(ctx, message) {
    if (message.bytes !== undefined) await ctx.send(Buffer.from(message.bytes).reverse());
    else if (message.text === 'bye') await ctx.close(4000, 'bye');
    else await ctx.send(`echo: ${message.text}`);
  },
});
app.websocket('/ws/deny', {
  async connect(ctx) {
    await ctx.deny();
  },
});

export default app;
