import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { markLive, readReady } from '../../consumers/http/ready-body.js';

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += Buffer.from(chunk).toString();
  return text;
}

describe('readReady: a body its producer had ready goes whole, a body still produced streams', () => {
  it('takes the whole body of a Response made from a string, bytes or a Blob', async () => {
    for (const response of [new Response('from a string'), new Response(Buffer.from('from bytes')), new Response(new Blob(['from ', 'a blob']))]) {
      const ready = await readReady(response.body!);
      expect('whole' in ready).toBe(true);
      expect(Buffer.from((ready as { whole: Uint8Array }).whole).toString()).toMatch(/^from /);
    }
  });

  it('streams a body whose producer waits, with the chunks already read first and nothing lost', async () => {
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(Buffer.from('first, '));
        controller.enqueue(Buffer.from('second, '));
        await sleep(50);
        controller.enqueue(Buffer.from('third'));
        controller.close();
      },
    });
    const ready = await readReady(body);
    expect('stream' in ready).toBe(true);
    expect(await collect((ready as { stream: ReadableStream<Uint8Array> }).stream)).toBe('first, second, third');
  });

  it('streams past 8 MiB even when all of it is ready', async () => {
    const mib = Buffer.alloc(1024 * 1024, 120);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(mib);
        controller.close();
      },
    });
    const ready = await readReady(body);
    expect('stream' in ready).toBe(true);
    expect((await collect((ready as { stream: ReadableStream<Uint8Array> }).stream)).length).toBe(10 * 1024 * 1024);
  });

  it('leaves a stream that flows from a client a stream, untouched', async () => {
    const body = markLive(new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(Buffer.from('echo')), c.close()) }));
    const ready = await readReady(body);
    expect(ready).toEqual({ stream: body });
  });
});
