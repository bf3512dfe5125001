/**
 * The README's testing guide, as written: groups across two communicators, and a channel
 * consumer driven through the bed's layer.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../consumers/index.js';
import { TestBed, WebSocketCommunicator } from '../../consumers/testing/index.js';
import app from '../../examples/quickstart/app.js';

describe('the README testing guide', () => {
  it('two connections in one room hear each other', async () => {
    const bed = new TestBed(app);
    try {
      const alice = new WebSocketCommunicator(bed, '/ws/chat/lobby?name=alice');
      const bob = new WebSocketCommunicator(bed, '/ws/chat/lobby?name=bob');
      expect((await alice.connect()).accepted).toBe(true);
      expect((await bob.connect()).accepted).toBe(true);
      await alice.sendText('hi');
      expect(await bob.receive()).toEqual({ text: '{"from":"alice","text":"hi"}' });
      expect(await alice.receive()).toEqual({ text: '{"from":"alice","text":"hi"}' });
    } finally {
      await bed.close();
    }
  });

  it('a channel consumer runs on a message sent to the bed’s layer', async () => {
    const made: string[] = [];
    const thumbnails = createApp().channel('thumbnails', (message) => {
      made.push(String(message.image));
    });
    const bed = new TestBed(thumbnails);
    try {
      await bed.start();
      await bed.layer.send('thumbnails', { type: 'thumbnail.make', image: 'cat.png' });
      await expect.poll(() => made).toEqual(['cat.png']);
    } finally {
      await bed.close();
    }
  });
});
