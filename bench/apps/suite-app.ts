/**
 * The switchyard app of the main benchmark suite (bench/suite.ts), run unchanged by
 * `switchyard serve` + `switchyard worker` and by `switchyard dev`:
 *
 * - `GET /hello`: 200 'hello' (text/plain)
 * - WebSocket `/ws/echo`: every message is sent back as it came
 * - WebSocket `/ws/room`: joins group 'room' on connect. Broadcasts are `websocket.send`
 *   messages to the group (what `ctx.broadcast` sends), which the server writes to members
 *   itself: under serve+worker `layer.groupSend('room', …)` from the suite's own RedisLayer
 * - WebSocket `/ws/control`: each text message is broadcast to group 'room'; how broadcasts
 *   start under `dev`, whose in-memory layer no other process can reach (the plain-Node
 *   baseline has the same path)
 */
import { createApp, text } from 'switchyard';

const app = createApp();

app.get('/hello', () => text('hello'));

app.websocket('/ws/echo', {
  receive: (ctx, message) => ctx.send(message.text ?? message.bytes!),
});

app.websocket('/ws/room', {
  async connect(ctx) {
    await ctx.groupAdd('room');
    await ctx.accept();
  },
  events: {
    'room.message': (ctx, event) => ctx.send(String(event.text)),
  },
});

app.websocket('/ws/control', {
  receive: (ctx, message) => ctx.broadcast('room', message.text ?? ''),
});

export default app;
