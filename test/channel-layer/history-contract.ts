import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidMessage, InvalidName, type ChannelLayer, type GroupPosition, type Recipient, type Unrecoverable, type WireMessage } from '../../channel-layer/index.js';
import type { LayerFactory } from './contract.js';

/** What a member was handed: messages with their positions, and where it was told it follows from. */
interface Member extends Recipient {
  got: { message: WireMessage; group: string | undefined; position: GroupPosition | undefined }[];
  follows: { group: string; position: GroupPosition; missed: Unrecoverable | undefined }[];
  /** Resolves once `check` holds (polled on every event). */
  until(check: () => boolean, what: string): Promise<void>;
  offsets(): number[];
}

function member(known?: Record<string, GroupPosition>): Member {
  const waiting: { check: () => boolean; resolve: () => void }[] = [];
  const wake = (): void => {
    for (const w of waiting.filter((w) => w.check())) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  };
  const m: Member = {
    got: [],
    follows: [],
    joinsGroups: true,
    deliver(message, group, position) {
      m.got.push({ message, group, position });
      wake();
    },
    followed(group, position, missed) {
      m.follows.push({ group, position, missed });
      wake();
    },
    positionIn: known === undefined ? undefined : (group) => known[group],
    lost() {},
    until(check, what) {
      if (check()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got offsets ${JSON.stringify(m.offsets())}, follows ${JSON.stringify(m.follows)}`)), 10_000);
        waiting.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    offsets: () => m.got.map((g) => g.position?.offset ?? -1),
  };
  return m;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Group history, recovery and presence (history.ts), run unchanged against every layer. Each
 * call of the factory plays another process on the same backing.
 */
export function groupHistoryContract(name: string, newNamespace: () => LayerFactory): void {
  describe(`${name} layer: group history, recovery, presence`, () => {
    const opened: ChannelLayer[] = [];
    let factory: LayerFactory | undefined;
    const history = [{ pattern: 'room.*', size: 5, maxAgeMs: 60_000 }];

    async function layer(options: Parameters<LayerFactory>[0] = {}): Promise<ChannelLayer> {
      factory ??= newNamespace();
      const made = await factory({ groupHistory: history, ...options });
      opened.push(made);
      return made;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((l) => l.close()));
      factory = undefined;
    });

    it('gives each message of a group with history the next offset of one epoch, and none to other groups', async () => {
      const l = await layer();
      const first = await l.groupSend('room.a', { type: 't', i: 1 });
      const second = await l.groupSend('room.a', { type: 't', i: 2 });
      expect(first).toEqual({ epoch: expect.any(String), offset: 1 });
      expect(second).toEqual({ epoch: first!.epoch, offset: 2 });
      expect(await l.groupSend('plain', { type: 't' })).toBeUndefined();
    });

    it('delivers live messages with their positions, after telling the member where it follows from', async () => {
      const server = await layer();
      const worker = await layer();
      await worker.groupSend('room.live', { type: 't', i: 0 });
      const m = member();
      const channel = server.openChannel(m, 'ws');
      await worker.groupAdd('room.live', channel);
      await m.until(() => m.follows.length === 1, 'the follow');
      expect(m.follows[0]).toMatchObject({ group: 'room.live', position: { offset: 1 }, missed: undefined });
      for (let i = 1; i <= 3; i++) await worker.groupSend('room.live', { type: 't', i });
      await m.until(() => m.got.length === 3, 'three messages');
      expect(m.got.map((g) => [g.message.i, g.group, g.position?.offset])).toEqual([
        [1, 'room.live', 2],
        [2, 'room.live', 3],
        [3, 'room.live', 4],
      ]);
      expect(m.got[0]!.position!.epoch).toBe(m.follows[0]!.position.epoch);
    });

    it('gives a member every message sent once its join resolved, even before its holder follows the group', async () => {
      const server = await layer();
      const worker = await layer();
      await worker.groupSend('room.now', { type: 't', i: 0 });
      const m = member();
      await worker.groupAdd('room.now', server.openChannel(m, 'ws'));
      await worker.groupSend('room.now', { type: 't', i: 1 }); // at once: the holder may not follow yet
      await m.until(() => m.got.length === 1 && m.follows.length === 1, 'the message sent right after the join');
      expect(m.got.map((g) => [g.message.i, g.position?.offset])).toEqual([[1, 2]]);
    });

    it('recovers what a member missed, in order, before live messages, once each', async () => {
      const server = await layer();
      const worker = await layer();
      const before = member();
      const first = server.openChannel(before, 'ws');
      await worker.groupAdd('room.rec', first);
      await before.until(() => before.follows.length === 1, 'the first follow');
      for (let i = 1; i <= 2; i++) await worker.groupSend('room.rec', { type: 't', i });
      await before.until(() => before.got.length === 2, 'two messages');
      const seen = before.got[1]!.position!;
      server.releaseChannel(first); // the client goes away …
      for (let i = 3; i <= 5; i++) await worker.groupSend('room.rec', { type: 't', i });
      // … and comes back with the last position it saw.
      const after = member();
      const second = server.openChannel(after, 'ws');
      await worker.groupAdd('room.rec', second, { since: seen });
      await after.until(() => after.follows.length === 1, 'the recovery');
      expect(after.offsets()).toEqual([3, 4, 5]);
      expect(after.got.map((g) => g.message.i)).toEqual([3, 4, 5]);
      expect(after.follows[0]).toEqual({ group: 'room.rec', position: { epoch: seen.epoch, offset: 5 }, missed: undefined });
      await worker.groupSend('room.rec', { type: 't', i: 6 });
      await after.until(() => after.got.length === 4, 'the live message');
      expect(after.offsets()).toEqual([3, 4, 5, 6]);
    });

    it('recovers from the position the channel\'s holder knows when the join names none', async () => {
      const worker = await layer();
      const server = await layer();
      const sent = await worker.groupSend('room.known', { type: 't', i: 1 });
      await worker.groupSend('room.known', { type: 't', i: 2 });
      const m = member({ 'room.known': sent! });
      await worker.groupAdd('room.known', server.openChannel(m, 'ws'));
      await m.until(() => m.follows.length === 1, 'the recovery');
      expect(m.got.map((g) => g.message.i)).toEqual([2]);
    });

    it('says "trimmed" when messages after the position are no longer kept, and "epoch" for another epoch\'s position', async () => {
      const server = await layer();
      const worker = await layer();
      const start = await worker.groupSend('room.old', { type: 't', i: 1 });
      for (let i = 2; i <= 8; i++) await worker.groupSend('room.old', { type: 't', i }); // size 5 keeps 4..8
      const trimmed = member();
      await worker.groupAdd('room.old', server.openChannel(trimmed, 'ws'), { since: start });
      await trimmed.until(() => trimmed.follows.length === 1, 'the answer');
      expect(trimmed.follows[0]).toEqual({ group: 'room.old', position: { epoch: start!.epoch, offset: 8 }, missed: 'trimmed' });
      expect(trimmed.got).toEqual([]);

      // The oldest kept one's predecessor is still a seam without a gap.
      const edge = member();
      await worker.groupAdd('room.old', server.openChannel(edge, 'ws'), { since: { epoch: start!.epoch, offset: 3 } });
      await edge.until(() => edge.follows.length === 1, 'the recovery at the edge');
      expect(edge.offsets()).toEqual([4, 5, 6, 7, 8]);

      const stranger = member();
      await worker.groupAdd('room.old', server.openChannel(stranger, 'ws'), { since: { epoch: 'another', offset: 7 } });
      await stranger.until(() => stranger.follows.length === 1, 'the answer');
      expect(stranger.follows[0]!.missed).toBe('epoch');
      expect(stranger.got).toEqual([]);
    });

    it('does not keep messages past their age', async () => {
      let offset = 0;
      const clock = (): number => Date.now() + offset;
      const server = await layer({ clock, groupHistory: [{ pattern: 'room.*', size: 100, maxAgeMs: 1_000 }] });
      const worker = await layer({ clock, groupHistory: [{ pattern: 'room.*', size: 100, maxAgeMs: 1_000 }] });
      const start = await worker.groupSend('room.aged', { type: 't', i: 1 });
      await worker.groupSend('room.aged', { type: 't', i: 2 });
      offset += 1_500;
      await worker.groupSend('room.aged', { type: 't', i: 3 });
      const m = member();
      await worker.groupAdd('room.aged', server.openChannel(m, 'ws'), { since: start });
      await m.until(() => m.follows.length === 1, 'the answer');
      expect(m.follows[0]!.missed).toBe('trimmed');
    });

    it('has no gap and no duplicate at the seam while others send all along', async () => {
      const server = await layer({ groupHistory: [{ pattern: 'room.*', size: 1000, maxAgeMs: 60_000 }] });
      const publishers = [await layer({ groupHistory: [{ pattern: 'room.*', size: 1000, maxAgeMs: 60_000 }] }), await layer({ groupHistory: [{ pattern: 'room.*', size: 1000, maxAgeMs: 60_000 }] })];
      const start = await publishers[0]!.groupSend('room.seam', { type: 't' });
      const total = 300;
      let sent = 1;
      const sending = Promise.all(
        publishers.map(async (p) => {
          while (sent < total) {
            sent++;
            await p.groupSend('room.seam', { type: 't' });
            if (sent % 10 === 0) await sleep(1);
          }
        }),
      );
      const members: Member[] = [];
      // Members join at moments spread over the sending, each from the first message's position.
      for (let j = 0; j < 5; j++) {
        await sleep(15);
        const m = member();
        members.push(m);
        await publishers[j % 2]!.groupAdd('room.seam', server.openChannel(m, 'ws'), { since: start });
      }
      await sending;
      for (const m of members) {
        await m.until(() => m.got.length >= total - 1, 'every message');
        await sleep(50);
        expect(m.offsets()).toEqual(range(2, total));
        expect(m.follows.map((f) => f.missed)).toEqual([undefined]);
      }
    });

    it('takes only connections\' channels into a group with history', async () => {
      const l = await layer();
      await expect(l.groupAdd('room.strict', 'ordinary')).rejects.toBeInstanceOf(InvalidName);
    });

    it('lists members with their presence records, counts users, and announces joins and leaves when asked', async () => {
      const server = await layer();
      const worker = await layer();
      const watcher = member();
      const watching = server.openChannel(watcher, 'ws');
      await worker.groupAdd('lobby', watching);
      const [a, b, c] = [member(), member(), member()].map((m) => server.openChannel(m, 'ws'));
      await worker.groupAdd('lobby', a!, { info: { user: 'ada', device: 'phone' }, announce: true });
      await worker.groupAdd('lobby', b!, { info: { user: 'ada', device: 'laptop' } });
      await worker.groupAdd('lobby', c!, { info: { user: 'bob' }, announce: true });
      const presence = await worker.presence('lobby');
      expect(presence.sort((x, y) => x.channel.localeCompare(y.channel))).toEqual(
        [
          { channel: watching, info: undefined },
          { channel: a, info: { user: 'ada', device: 'phone' } },
          { channel: b, info: { user: 'ada', device: 'laptop' } },
          { channel: c, info: { user: 'bob' } },
        ].sort((x, y) => x.channel!.localeCompare(y.channel!)),
      );
      expect(await worker.presenceStats('lobby')).toEqual({ connections: 4, users: 2 });

      await worker.groupDiscard('lobby', a!);
      server.releaseChannel(c!); // the connection closed: its server takes it out
      await watcher.until(() => watcher.got.length === 4, 'two joins and two leaves');
      expect(watcher.got.map((g) => [g.message.type, g.message.channel, (g.message.info as { user?: string } | undefined)?.user])).toEqual([
        ['group.join', a, 'ada'],
        ['group.join', c, 'bob'],
        ['group.leave', a, 'ada'],
        ['group.leave', c, 'bob'],
      ]);
      await expect.poll(() => worker.presenceStats('lobby')).toEqual({ connections: 2, users: 1 });
      await expect(worker.groupAdd('lobby', b!, { info: { user: 'x'.repeat(2000) } })).rejects.toBeInstanceOf(InvalidMessage);
      await expect(worker.groupAdd('lobby', b!, { info: { user: 7 } as never })).rejects.toBeInstanceOf(InvalidMessage);
    });

    it('forgets the presence of members whose process died', async () => {
      let offset = 0;
      const clock = (): number => Date.now() + offset;
      const options = { clock, heartbeatIntervalMs: 40_000, heartbeatTimeoutMs: 150_000 };
      const alive = await layer(options);
      const dying = await layer(options);
      await alive.groupAdd('lobby.dead', await dying.newChannel(), { info: { user: 'gone' } });
      await alive.groupAdd('lobby.dead', await alive.newChannel(), { info: { user: 'here' } });
      expect(await alive.presenceStats('lobby.dead')).toEqual({ connections: 2, users: 2 });
      await dying.close(); // stops its heartbeat like a crash would
      offset += 200_000;
      await alive.newChannel(); // the live process beats, the dead one cannot
      expect((await alive.presence('lobby.dead')).map((p) => p.info?.user)).toEqual(['here']);
    });
  });
}
