"""A worker's side of the Redis channel layer: take requests, reach server inboxes, stay alive."""

import asyncio
import re
import secrets

import redis.asyncio as aioredis

from .protocol import (
    CAPACITY,
    EXPIRY_MS,
    GROUP_JOINED_SCRIPT,
    HEARTBEAT_INTERVAL_MS,
    HEARTBEAT_TIMEOUT_MS,
    INBOX_CAPACITY,
    Keys,
    WireFormatError,
    now_ms,
    pack_envelope,
    unpack_envelope,
)


GROUP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


class Layer:
    """
    One process's connection to the layer: its own inbox (`<process>!`), the heartbeats that tell
    interface servers a worker takes their channels, and sends through the layer's send script.
    """

    def __init__(self, url: str, prefix: str, log):
        self.redis = aioredis.from_url(url)
        # A blocking pop holds its connection: it gets one of its own.
        self.popper = aioredis.from_url(url)
        self.keys = Keys(prefix)
        self.process = f"py.{secrets.token_hex(5)}"
        self.inbox = f"{self.process}!"
        self._next = 0
        self._send = self.redis.register_script(_script())
        self._joined = self.redis.register_script(GROUP_JOINED_SCRIPT)
        self._heart: asyncio.Task | None = None
        self.receiving: list[str] = []
        #: Our channels (named in pulls) → the exchange that waits on them.
        self.exchanges: dict = {}
        self.log = log

    def new_channel(self) -> str:
        self._next += 1
        return f"{self.inbox}{self._next}"

    async def start(self, channels: list[str]) -> None:
        self.receiving = channels
        await self.beat()
        self._heart = asyncio.create_task(self._beating())

    async def beat(self) -> None:
        now = now_ms()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.keys.alive, {self.inbox: now})
            for channel in self.receiving:
                pipe.zadd(self.keys.receivers(channel), {self.inbox: now})
            await pipe.execute()

    async def _beating(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL_MS / 1000)
            try:
                await self.beat()
            except Exception as error:  # noqa: BLE001 - Redis away: beat again next time
                self.log(f"heartbeat failed: {error}")

    async def send(self, channel: str, message: dict, target=None) -> None:
        """Appends one envelope to `channel`'s list; raises RuntimeError when the channel is full."""
        capacity = INBOX_CAPACITY if "!" in channel else CAPACITY
        envelope = pack_envelope(channel if target is None else target, message)
        appended = await self._send(keys=[self.keys.list(channel)], args=[capacity, EXPIRY_MS + 1000, envelope])
        if appended != 1:
            raise RuntimeError(f'channel "{channel}" is full')

    async def group_add(self, group: str, channel: str) -> None:
        """The member in the group's set; a process-specific one also in its holder's joined hash."""
        check_group(group)
        await self.redis.zadd(self.keys.group(group), {channel: now_ms()})
        bang = channel.find("!")
        if bang != -1:
            await self._joined(keys=[self.keys.joined(channel[: bang + 1])], args=[channel, group, HEARTBEAT_TIMEOUT_MS])

    async def group_discard(self, group: str, channel: str) -> None:
        check_group(group)
        await self.redis.zrem(self.keys.group(group), channel)

    async def group_send(self, group: str, message: dict) -> None:
        """
        One envelope per live process holding members ([group, its members…] as the target), and
        one per ordinary-channel member; a full inbox or channel misses it (at most once).
        """
        check_group(group)
        members = [m.decode() if isinstance(m, bytes) else m for m in await self.redis.zrange(self.keys.group(group), 0, -1)]
        by_inbox: dict[str, list[str]] = {}
        ordinary: list[str] = []
        for member in members:
            bang = member.find("!")
            if bang == -1:
                ordinary.append(member)
            else:
                by_inbox.setdefault(member[: bang + 1], []).append(member)
        if by_inbox:
            inboxes = list(by_inbox)
            beats = await self.redis.execute_command("ZMSCORE", self.keys.alive, *inboxes)
            oldest = now_ms() - HEARTBEAT_TIMEOUT_MS
            dead: list[str] = []
            for inbox, beat in zip(inboxes, beats):
                if beat is None or float(beat) < oldest:
                    dead += by_inbox.pop(inbox)  # a dead process's members: out of the group
            if dead:
                await self.redis.zrem(self.keys.group(group), *dead)
        for inbox, held in by_inbox.items():
            try:
                await self.send(inbox, message, target=[group, *held])
            except RuntimeError:
                pass
        for channel in ordinary:
            try:
                await self.send(channel, message, target=[group, channel])
            except RuntimeError:
                pass

    async def pop(self, channels: list[str], count: int) -> list[tuple[str, dict]]:
        """
        Waits for envelopes on the inbox and, with `count` > 0, on `channels`; returns
        (target, message) of each readable, unexpired one.
        """
        keys = [self.keys.list(self.inbox)] + ([self.keys.list(c) for c in channels] if count > 0 else [])
        # With no room the pop reads only the inbox, and wakes every 50 ms so that room freed by
        # finished requests is used: nothing else would wake it.
        timeout = 0 if count > 0 else 0.05
        reply = await self.popper.execute_command("BLMPOP", timeout, len(keys), *keys, "LEFT", "COUNT", count if count > 0 else 100)
        if reply is None:
            return []
        oldest = now_ms() - EXPIRY_MS
        out = []
        for element in reply[1]:
            try:
                sent_at, target, message = unpack_envelope(element)
            except WireFormatError as error:
                self.log(f"dropped an unreadable message: {error}")
                continue
            if sent_at < oldest:
                continue
            out.append((target, message))
        return out

    async def close(self) -> None:
        if self._heart is not None:
            self._heart.cancel()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for channel in self.receiving:
                    pipe.zrem(self.keys.receivers(channel), self.inbox)
                await pipe.execute()
        finally:
            await self.popper.close(close_connection_pool=True)
            await self.redis.close(close_connection_pool=True)


def check_group(group: str) -> None:
    """Group names: 1-100 of [A-Za-z0-9_.-] (a brace or a line break would break the keys)."""
    if not GROUP_NAME.fullmatch(group):
        raise ValueError(f"invalid group name {group!r}: use 1-100 ASCII letters, digits, '-', '_' and '.'")


def _script() -> str:
    from .protocol import SEND_SCRIPT

    return SEND_SCRIPT
