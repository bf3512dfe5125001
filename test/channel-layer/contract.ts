import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChannelFull,
  InvalidMessage,
  InvalidName,
  LayerClosed,
  type ChannelLayer,
  type Delivery,
  type LayerOptionsInput,
  type Recipient,
  type WireMessage,
} from '../../channel-layer/index.js';
import type { Clock } from '../../channel-layer/clock.js';

/**
 * Makes layers on one fresh namespace: each call plays another process on the same backing
 * (a new connection to the same Redis prefix, or a new MemoryLayer on the same store).
 */
export type LayerFactory = (options?: LayerOptionsInput & { clock?: Clock }) => Promise<ChannelLayer>;

/** A clock the test moves: the layers' time, without waiting for it. */
function testClock(): { now: Clock; advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

/** The channel layer contract, run unchanged against every implementation. */
export function channelLayerContract(name: string, newNamespace: () => LayerFactory): void {
  describe(`${name} layer contract`, () => {
    const opened: ChannelLayer[] = [];
    let factory: LayerFactory;

    async function layer(options?: LayerOptionsInput & { clock?: Clock }): Promise<ChannelLayer> {
      factory ??= newNamespace();
      const made = await factory(options);
      opened.push(made);
      return made;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((l) => l.close()));
      factory = undefined as unknown as LayerFactory;
    });

    /** Receives until `count` messages arrived on `channels` (each call may return a batch). */
    async function receiveAll(l: ChannelLayer, channels: string[], count: number): Promise<Delivery[]> {
      const got: Delivery[] = [];
      while (got.length < count) got.push(...(await l.receive(channels, { max: count - got.length })));
      return got;
    }

    it('delivers a message with its fields intact', async () => {
      const l = await layer();
      await l.send('chat', { type: 'chat.message', text: 'hi', n: 3, nested: { ok: true, list: [1, 'a'] } });
      const [delivery] = await l.receive(['chat']);
      expect(delivery).toEqual({
        channel: 'chat',
        message: { type: 'chat.message', text: 'hi', n: 3, nested: { ok: true, list: [1, 'a'] } },
      });
    });

    it('keeps FIFO order per channel', async () => {
      const l = await layer({ capacity: 500 });
      for (let i = 0; i < 200; i++) await l.send('fifo', { type: 't', i });
      const got = await receiveAll(l, ['fifo'], 200);
      expect(got.map((d) => d.message.i)).toEqual([...Array(200).keys()]);
    });

    it('keeps FIFO order for sends made in one turn', async () => {
      const l = await layer();
      await Promise.all([...Array(50).keys()].map((i) => l.send('burst', { type: 't', i })));
      const got = await receiveAll(l, ['burst'], 50);
      expect(got.map((d) => d.message.i)).toEqual([...Array(50).keys()]);
    });

    it('hands each message to exactly one of competing receivers', async () => {
      const sender = await layer();
      const receivers = [await layer(), await layer(), await layer()];
      const total = 300;
      const seen: number[] = [];
      const byReceiver = [0, 0, 0];
      const done = new AbortController();
      const loops = receivers.flatMap((r, index) =>
        [0, 1].map(async () => {
          while (!done.signal.aborted) {
            try {
              const batch = await r.receive(['work'], { max: 7, signal: done.signal });
              for (const d of batch) seen.push(d.message.i as number);
              byReceiver[index]! += batch.length;
              if (seen.length >= total) done.abort();
              await sleep(0);
            } catch (error) {
              if (!done.signal.aborted) throw error;
            }
          }
        }),
      );
      for (let i = 0; i < total; i++) {
        await sender.send('work', { type: 'job', i });
        if (i % 25 === 0) await sleep(1);
      }
      await Promise.all(loops);
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(byReceiver.filter((n) => n > 0).length).toBeGreaterThan(1);
    });

    it('wakes a blocked receive when a message is sent', async () => {
      const a = await layer();
      const b = await layer();
      let settled = false;
      const pending = a.receive(['wake']).finally(() => (settled = true));
      await sleep(50);
      expect(settled).toBe(false);
      await b.send('wake', { type: 'ping' });
      const [delivery] = await pending;
      expect(delivery?.message).toEqual({ type: 'ping' });
    });

    it('takes a batch of up to max messages', async () => {
      const l = await layer();
      for (let i = 0; i < 10; i++) await l.send('batch', { type: 't', i });
      const first = await l.receive(['batch'], { max: 4 });
      const second = await l.receive(['batch'], { max: 4 });
      const third = await l.receive(['batch'], { max: 4 });
      expect([first.length, second.length, third.length]).toEqual([4, 4, 2]);
      expect([...first, ...second, ...third].map((d) => d.message.i)).toEqual([...Array(10).keys()]);
    });

    it('receives from any of several channels, each delivery naming its channel', async () => {
      const l = await layer();
      await l.send('left', { type: 'l' });
      await l.send('right', { type: 'r' });
      const got = await receiveAll(l, ['left', 'right'], 2);
      expect(got.map((d) => `${d.channel}:${d.message.type}`).sort()).toEqual(['left:l', 'right:r']);
    });

    it('raises ChannelFull past capacity, with per-channel overrides by pattern', async () => {
      const l = await layer({ capacity: 3, channelCapacity: [{ pattern: 'big.*', capacity: 5 }] });
      for (let i = 0; i < 3; i++) await l.send('small', { type: 't' });
      await expect(l.send('small', { type: 't' })).rejects.toBeInstanceOf(ChannelFull);
      for (let i = 0; i < 5; i++) await l.send('big.one', { type: 't' });
      await expect(l.send('big.one', { type: 't' })).rejects.toThrow(/channel "big.one" is full/);
      await l.receive(['small']);
      await l.send('small', { type: 't' }); // room again once one was taken
    });

    it('rejects only the sends of one turn that do not fit', async () => {
      const l = await layer({ capacity: 4 });
      const results = await Promise.allSettled([...Array(6).keys()].map((i) => l.send('turn', { type: 't', i })));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
      const got = await receiveAll(l, ['turn'], 4);
      expect(got.map((d) => d.message.i)).toEqual([0, 1, 2, 3]);
    });

    it('never delivers a message older than the expiry', async () => {
      const clock = testClock();
      const l = await layer({ expiryMs: 150, clock: clock.now });
      await l.send('old', { type: 'stale' });
      clock.advance(250);
      await l.send('old', { type: 'fresh' });
      const got = await l.receive(['old'], { max: 10 });
      expect(got.map((d) => d.message.type)).toEqual(['fresh']);
    });

    it('demultiplexes process-specific channels to the process that holds them', async () => {
      const holder = await layer({ processName: 'server' });
      const other = await layer();
      const one = await holder.newChannel();
      const two = await holder.newChannel('conn');
      expect(one).toMatch(/^server\.[a-z0-9]+!/);
      expect(one.split('!')[0]).toBe(two.split('!')[0]);
      await other.send(two, { type: 'for.two' });
      await other.send(one, { type: 'for.one' });
      expect((await holder.receive([one]))[0]).toEqual({ channel: one, message: { type: 'for.one' } });
      expect((await holder.receive([two]))[0]).toEqual({ channel: two, message: { type: 'for.two' } });
      await expect(other.receive([one])).rejects.toBeInstanceOf(InvalidName);
    });

    it('drops a released channel and what is sent to it', async () => {
      const holder = await layer();
      const other = await layer();
      const gone = await holder.newChannel();
      const kept = await holder.newChannel();
      await other.send(gone, { type: 'before' });
      await sleep(50);
      holder.releaseChannel(gone);
      await other.send(gone, { type: 'after' });
      await other.send(kept, { type: 'kept' });
      expect((await holder.receive([kept]))[0]?.message.type).toBe('kept');
      const again = await holder.newChannel();
      await other.send(again, { type: 'new' });
      const got = await holder.receive([again, kept], { max: 10 });
      expect(got.map((d) => d.message.type)).toEqual(['new']);
    });

    it('waits on ordinary and process-specific channels in one receive', async () => {
      const l = await layer();
      const other = await layer();
      const mine = await l.newChannel();
      const first = l.receive(['shared.q', mine]);
      await sleep(30);
      await other.send(mine, { type: 'local' });
      expect((await first).map((d) => d.channel)).toEqual([mine]);
      const second = l.receive(['shared.q', mine]);
      await sleep(30);
      await other.send('shared.q', { type: 'shared' });
      expect((await second).map((d) => d.channel)).toEqual(['shared.q']);
      // Nothing was lost to the cancelled half of either receive.
      await other.send('shared.q', { type: 'again' });
      expect((await l.receive(['shared.q']))[0]?.message.type).toBe('again');
    });

    it('sends to groups, with add, discard and presence', async () => {
      const a = await layer();
      const b = await layer();
      const ca = await a.newChannel();
      const cb = await b.newChannel();
      await a.groupAdd('room', ca);
      await b.groupAdd('room', cb);
      expect((await a.groupMembers('room')).sort()).toEqual([ca, cb].sort());
      expect(await b.groupSize('room')).toBe(2);
      await a.groupSend('room', { type: 'chat.message', text: 'hello' });
      expect((await a.receive([ca]))[0]?.message).toEqual({ type: 'chat.message', text: 'hello' });
      expect((await b.receive([cb]))[0]?.message).toEqual({ type: 'chat.message', text: 'hello' });
      await b.groupDiscard('room', cb);
      expect(await a.groupMembers('room')).toEqual([ca]);
      await b.groupSend('room', { type: 'only.a' });
      expect((await a.receive([ca]))[0]?.message.type).toBe('only.a');
      expect(await b.receive([cb], { signal: AbortSignal.timeout(100) }).catch((e: Error) => e.name)).toBe('TimeoutError');
    });

    it('reaches a member added after a send to the group began and before the next', async () => {
      const l = await layer();
      const early = l.groupSend('late', { type: 'before' });
      const mine = await l.newChannel();
      await l.groupAdd('late', mine);
      await early;
      await l.groupSend('late', { type: 'after' });
      // The first send may or may not have seen it; this one must.
      const types: unknown[] = [];
      while (!types.includes('after')) types.push(...(await l.receive([mine], { max: 2, signal: AbortSignal.timeout(5_000) })).map((d) => d.message.type));
      expect(types.at(-1)).toBe('after');
    });

    it('names the group of a message that came through groupSend', async () => {
      const l = await layer();
      const other = await layer();
      const mine = await l.newChannel();
      await other.groupAdd('named', mine);
      await other.groupSend('named', { type: 'via.group' });
      await other.send(mine, { type: 'direct' });
      const got = await receiveAll(l, [mine], 2);
      expect(got).toEqual([
        { channel: mine, message: { type: 'via.group' }, group: 'named' },
        { channel: mine, message: { type: 'direct' } },
      ]);
    });

    it('applies each member\'s own capacity to a group send, as a send to it would', async () => {
      const l = await layer({ capacity: 2, channelCapacity: [{ pattern: 'big.*', capacity: 100 }] });
      await l.groupAdd('mixed', 'big.x');
      await l.groupAdd('mixed', 'small');
      for (let i = 0; i < 5; i++) await l.groupSend('mixed', { type: 't', i });
      const big = await l.receive(['big.x'], { max: 10 });
      expect(big.map((d) => d.message.i)).toEqual([0, 1, 2, 3, 4]);
      const small = await l.receive(['small'], { max: 10 });
      expect(small.map((d) => d.message.i)).toEqual([0, 1]);
    });

    it('names the group on a group message to an ordinary channel', async () => {
      const l = await layer();
      await l.groupAdd('feed', 'subscriber');
      await l.groupSend('feed', { type: 'news' });
      await l.send('subscriber', { type: 'direct' });
      expect(await receiveAll(l, ['subscriber'], 2)).toEqual([
        { channel: 'subscriber', message: { type: 'news' }, group: 'feed' },
        { channel: 'subscriber', message: { type: 'direct' } },
      ]);
    });

    it('delivers to a member added on behalf of the process that holds it', async () => {
      const server = await layer({ processName: 'server' });
      const worker = await layer({ processName: 'worker' });
      const connection = await server.newChannel();
      await worker.groupAdd('lobby', connection);
      await worker.groupSend('lobby', { type: 'welcome' });
      expect((await server.receive([connection]))[0]).toEqual({ channel: connection, message: { type: 'welcome' }, group: 'lobby' });
    });

    it('keeps members of live processes past the heartbeat timeout and drops those of dead ones', async () => {
      const clock = testClock();
      const options = { heartbeatIntervalMs: 40_000, heartbeatTimeoutMs: 150_000, clock: clock.now };
      const alive = await layer(options);
      const dying = await layer(options);
      const kept = await alive.newChannel();
      const lost = await dying.newChannel();
      await alive.groupAdd('presence', kept);
      await dying.groupAdd('presence', lost);
      await dying.close(); // stops its heartbeat like a crash would
      expect(await alive.groupSize('presence')).toBe(2);
      clock.advance(100_000);
      expect(await alive.groupSize('presence')).toBe(2); // within the timeout: still members
      clock.advance(100_000);
      await alive.newChannel(); // the live process beats (as its interval would), the dead one cannot
      expect(await alive.groupMembers('presence')).toEqual([kept]);
      await alive.groupSend('presence', { type: 'still.here' });
      expect((await alive.receive([kept]))[0]?.message.type).toBe('still.here');
    });

    it('flush empties channels and groups', async () => {
      const l = await layer();
      const mine = await l.newChannel();
      await l.send('flushed', { type: 't' });
      await l.groupAdd('g', mine);
      await l.flush();
      expect(await l.groupSize('g')).toBe(0);
      const outcome = await l.receive(['flushed'], { signal: AbortSignal.timeout(100) }).catch((e: Error) => e.name);
      expect(outcome).toBe('TimeoutError');
      await l.send('flushed', { type: 'after' });
      expect((await l.receive(['flushed']))[0]?.message.type).toBe('after');
    });

    it('close wakes every pending receive with LayerClosed', async () => {
      const l = await layer();
      const mine = await l.newChannel();
      const pending = Promise.allSettled([l.receive(['never']), l.receive([mine]), l.receive(['never', mine])]);
      await sleep(30);
      await l.close();
      for (const outcome of await pending) {
        expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(LayerClosed);
      }
      await expect(l.send('x', { type: 't' })).rejects.toBeInstanceOf(LayerClosed);
    });

    it('an aborted receive loses nothing', async () => {
      const a = await layer();
      const b = await layer();
      const controller = new AbortController();
      const pending = a.receive(['abortable'], { signal: controller.signal });
      await sleep(30);
      controller.abort(new Error('gave up'));
      await expect(pending).rejects.toThrow('gave up');
      await b.send('abortable', { type: 'kept' });
      expect((await a.receive(['abortable']))[0]?.message.type).toBe('kept');
    });

    it('carries binary payloads as bytes', async () => {
      const l = await layer();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await l.send('bin', { type: 'websocket.send', bytes: all, nested: { more: Uint8Array.of(0, 255, 0) } });
      const message = (await l.receive(['bin']))[0]!.message as unknown as { bytes: Uint8Array; nested: { more: Uint8Array } };
      expect(message.bytes).toBeInstanceOf(Uint8Array);
      expect([...message.bytes]).toEqual([...all]);
      expect([...message.nested.more]).toEqual([0, 255, 0]);
    });

    it('carries a 1 MiB message', async () => {
      const l = await layer();
      const body = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) % 251);
      await l.send('big', { type: 'http.request.body', body });
      const got = (await l.receive(['big']))[0]!.message.body as Uint8Array;
      expect(got.length).toBe(body.length);
      expect(Buffer.from(got).equals(Buffer.from(body))).toBe(true);
    });

    it('keeps the order of many large messages sent in one turn', async () => {
      const l = await layer();
      const body = new Uint8Array(1024 * 1024);
      await Promise.all([...Array(12).keys()].map((i) => l.send('large', { type: 'chunk', i, body })));
      const got = await receiveAll(l, ['large'], 12);
      expect(got.map((d) => d.message.i)).toEqual([...Array(12).keys()]);
      expect(got.every((d) => (d.message.body as Uint8Array).length === body.length)).toBe(true);
    });

    it('rejects invalid channel and group names and non-messages', async () => {
      const l = await layer();
      for (const bad of ['', 'has space', 'a'.repeat(101), 'two!bangs!', 'ünïcode', 'slash/x']) {
        await expect(l.send(bad, { type: 't' })).rejects.toBeInstanceOf(InvalidName);
        await expect(l.receive([bad])).rejects.toBeInstanceOf(InvalidName);
      }
      await expect(l.groupAdd('bad group', 'ok')).rejects.toBeInstanceOf(InvalidName);
      await expect(l.groupSend('bad!group', { type: 't' })).rejects.toBeInstanceOf(InvalidName);
      await expect(l.send('ok', { notype: 1 } as never)).rejects.toBeInstanceOf(InvalidMessage);
      await expect(l.send('ok', null as never)).rejects.toBeInstanceOf(InvalidMessage);
    });

    /** A recipient that records what it is handed, and resolves `next(n)` once it has n messages. */
    function recorder(): Recipient & { got: { message: WireMessage; group: string | undefined }[]; lostWith: Error[]; next(n: number): Promise<void> } {
      const waiting: { n: number; resolve: () => void }[] = [];
      const r = {
        got: [] as { message: WireMessage; group: string | undefined }[],
        lostWith: [] as Error[],
        deliver(message: WireMessage, group: string | undefined) {
          r.got.push({ message, group });
          for (const w of waiting.filter((w) => r.got.length >= w.n)) w.resolve();
        },
        lost(error: Error) {
          r.lostWith.push(error);
        },
        next(n: number) {
          return r.got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
        },
      };
      return r;
    }

    it('hands the messages of an opened channel to its recipient, in order, from other processes too', async () => {
      const holder = await layer();
      const other = await layer();
      const r = recorder();
      const channel = holder.openChannel(r, 'reply');
      expect(channel).toMatch(/!reply\./);
      // Order holds per sender (two processes' sends race each other, as on any broker).
      for (let i = 0; i < 50; i++) void (i < 25 ? holder : other).send(channel, { type: 't', i, bytes: new Uint8Array([i]) });
      await r.next(50);
      const order = r.got.map((d) => d.message.i as number);
      expect(order.filter((i) => i < 25)).toEqual([...Array(25).keys()]);
      expect(order.filter((i) => i >= 25)).toEqual([...Array(25).keys()].map((i) => i + 25));
      const seventh = r.got.find((d) => d.message.i === 7)!;
      expect(Buffer.from(seventh.message.bytes as Uint8Array)).toEqual(Buffer.from([7]));
      expect(r.got.every((d) => d.group === undefined)).toBe(true);
    });

    it('knows which channels a live process receives on, across processes, until that process closes', async () => {
      const asker = await layer();
      const receiver = await layer();
      expect(await asker.hasReceivers('jobs')).toBe(false);
      const stop = new AbortController();
      const receiving = receiver.receive(['jobs'], { signal: stop.signal }).catch(() => []);
      // The receiver says so on its own connection, the asker looks on another: Redis may take
      // the look first, so the asker's next fresh look sees it (the view updates per look).
      for (let tries = 0; (await asker.hasReceivers('jobs')) !== true; tries++) {
        if (tries > 50) throw new Error('a live receive not seen after 5 s');
        await sleep(100);
      }
      expect(await asker.hasReceivers('other')).toBe(false);
      stop.abort();
      await receiving;
      expect(await asker.hasReceivers('jobs')).toBe(true); // a receive ended; the process still takes the channel
      await receiver.close();
      // The asker may answer from its view for a moment (Redis: refreshed every second).
      for (let tries = 0; (await asker.hasReceivers('jobs')) !== false; tries++) {
        if (tries > 50) throw new Error('still counted as received 5 s after the receiver closed');
        await sleep(100);
      }
      const held = asker.openChannel(recorder());
      expect(await asker.hasReceivers(held)).toBe(true); // a process-specific channel: while held
      asker.releaseChannel(held);
      expect(await asker.hasReceivers(held)).toBe(false);
    });

    it('takes a released channel whose recipient joins groups out of every group another process put it in', async () => {
      const holder = await layer();
      const other = await layer();
      const channel = holder.openChannel({ ...recorder(), joinsGroups: true });
      const kept = holder.openChannel({ ...recorder(), joinsGroups: true });
      await other.groupAdd('room.a', channel);
      await other.groupAdd('room.b', channel);
      await other.groupAdd('room.a', kept);
      expect(await other.groupMembers('room.a')).toEqual(expect.arrayContaining([channel, kept]));
      holder.releaseChannel(channel);
      for (let tries = 0; (await other.groupMembers('room.a')).includes(channel) || (await other.groupSize('room.b')) > 0; tries++) {
        if (tries > 50) throw new Error('still a member 5 s after its holder released it');
        await sleep(100);
      }
      expect(await other.groupMembers('room.a')).toEqual([kept]);
    });

    it('never calls a recipient inside the sender\'s call', async () => {
      const l = await layer();
      const r = recorder();
      const channel = l.openChannel(r);
      void l.send(channel, { type: 't' });
      expect(r.got).toHaveLength(0);
      await r.next(1);
    });

    it('hands a recipient its group messages with the group', async () => {
      const l = await layer();
      const r = recorder();
      const channel = l.openChannel(r);
      await l.groupAdd('watchers', channel);
      await l.groupSend('watchers', { type: 'news', n: 1 });
      await r.next(1);
      expect(r.got[0]).toEqual({ message: { type: 'news', n: 1 }, group: 'watchers' });
    });

    it('stops handing messages to a released channel, which also leaves its groups', async () => {
      const l = await layer();
      const r = recorder();
      const channel = l.openChannel(r);
      await l.groupAdd('g', channel);
      await l.send(channel, { type: 'first' });
      await r.next(1);
      l.releaseChannel(channel);
      await l.send(channel, { type: 'late' });
      await sleep(100);
      expect(r.got.map((d) => d.message.type)).toEqual(['first']);
      await expect.poll(() => l.groupMembers('g')).toEqual([]);
    });

    it('refuses to receive on an opened channel', async () => {
      const l = await layer();
      const channel = l.openChannel(recorder());
      await expect(l.receive([channel])).rejects.toBeInstanceOf(InvalidName);
    });

    it('tells every recipient when the layer closes', async () => {
      const l = await layer();
      const r = recorder();
      l.openChannel(r);
      await l.close();
      expect(r.lostWith).toHaveLength(1);
      expect(r.lostWith[0]).toBeInstanceOf(LayerClosed);
      expect(() => l.openChannel(recorder())).toThrow(LayerClosed);
    });
  });
}
