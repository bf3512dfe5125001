"""A worker's side of the Redis channel layer: take requests, reach server inboxes, stay alive."""

import asyncio
import os
import secrets

import redis.asyncio as aioredis

from .protocol import EXPIRY_MS, HEARTBEAT_INTERVAL_MS, INBOX_CAPACITY, CAPACITY, Keys, WireFormatError, now_ms, pack_envelope, unpack_envelope


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

    async def send(self, channel: str, message: dict) -> None:
        """Appends one envelope to `channel`'s list; raises RuntimeError when the channel is full."""
        capacity = INBOX_CAPACITY if "!" in channel else CAPACITY
        appended = await self._send(keys=[self.keys.list(channel)], args=[capacity, EXPIRY_MS + 1000, pack_envelope(channel, message)])
        if appended != 1:
            raise RuntimeError(f'channel "{channel}" is full')

    async def pop(self, channels: list[str], count: int) -> list[tuple[str, dict]]:
        """
        Waits for envelopes on the inbox and, with `count` > 0, on `channels`; returns
        (target, message) of each readable, unexpired one.
        """
        keys = [self.keys.list(self.inbox)] + ([self.keys.list(c) for c in channels] if count > 0 else [])
        reply = await self.popper.execute_command("BLMPOP", 0, len(keys), *keys, "LEFT", "COUNT", count if count > 0 else 100)
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


def _script() -> str:
    from .protocol import SEND_SCRIPT

    return SEND_SCRIPT
