"""One WebSocket connection of the protocol, run through an ASGI 3 application's handler."""

import asyncio

from .protocol import close_reason
from .scope import connection_scope


class WebSocketConnection:
    """
    An ASGI WebSocket handler runs from connect to disconnect in one coroutine, so this worker
    keeps the connection: the connect event comes on the route's shared channel, and the
    `websocket.done` that ends it names a channel of this worker's own (`events_to`) where the
    server sends every later event. Each event is done (and the server sends the next) when the
    app asks for the next one.
    """

    def __init__(self, layer, connect: dict, log):
        self.layer = layer
        self.connect = connect
        self.reply = connect["reply_channel"]
        self.log = log
        self.channel = layer.new_channel()
        layer.exchanges[self.channel] = self
        self.events: asyncio.Queue = asyncio.Queue()
        self.pending_done = False  # an event handed to the app, not yet done
        self.accepted = bool(connect.get("accepted", False))
        self.closed = False
        self.events.put_nowait({"type": "websocket.connect"})

    def deliver(self, message: dict) -> None:
        self.events.put_nowait(message)

    def scope(self) -> dict:
        return {**connection_scope(self.connect, "websocket"), "subprotocols": list(self.connect.get("subprotocols", []))}

    async def _done(self) -> None:
        """Ends the event in progress; the first (the connect) moves the connection's events here."""
        if not self.pending_done:
            return
        self.pending_done = False
        await self.layer.send(self.reply, {"type": "websocket.done", "events_to": self.channel})

    async def receive(self) -> dict:
        await self._done()
        message = await self.events.get()
        kind = message["type"]
        if kind == "websocket.connect":
            # Even when the server accepted at once, the app sees a connect (its accept is then a no-op).
            self.pending_done = True
            return {"type": "websocket.connect"}
        if kind == "websocket.receive":
            self.pending_done = True
            event = {"type": "websocket.receive"}
            if message.get("text") is not None:
                event["text"] = message["text"]
            else:
                event["bytes"] = bytes(message["bytes"])
            return event
        if kind == "websocket.disconnect":
            self.pending_done = True
            self.closed = True
            return {"type": "websocket.disconnect", "code": int(message.get("code", 1005))}
        # A group or custom event: ASGI has no place for it; it is done at once.
        self.pending_done = True
        return await self.receive()

    async def send(self, event: dict) -> None:
        kind = event["type"]
        if self.closed:
            return
        if kind == "websocket.accept":
            if self.accepted:
                return
            self.accepted = True
            headers = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in event.get("headers", [])]
            await self.layer.send(self.reply, {"type": "websocket.accept", "subprotocol": event.get("subprotocol"), "headers": headers})
            await self._done()  # the connect event is over: later events come to our channel
        elif kind == "websocket.send":
            frame = {"type": "websocket.send"}
            if event.get("text") is not None:
                frame["text"] = event["text"]
            else:
                frame["bytes"] = bytes(event.get("bytes") or b"")
            await self.layer.send(self.reply, frame)
        elif kind == "websocket.close":
            self.closed = True
            message = {"type": "websocket.close", "code": int(event.get("code", 1000)), "reason": close_reason(str(event.get("reason") or ""))}
            await self.layer.send(self.reply, message)

    async def going_away(self) -> None:
        """The worker stops: the client is closed with 1001, and the app hears the disconnect that follows."""
        if not self.closed and self.accepted:
            await self.send({"type": "websocket.close", "code": 1001, "reason": "worker going away"})

    async def run(self, app) -> None:
        try:
            await app(self.scope(), self.receive, self.send)
            if not self.closed:
                await self.send({"type": "websocket.close", "code": 1000})
        except Exception as error:  # noqa: BLE001 - the app's failure is this connection's alone
            self.log(f"the application failed on WebSocket {self.connect['path']}: {error!r}")
            if not self.closed:
                self.closed = True
                await self.layer.send(self.reply, {"type": "websocket.close", "code": 1011, "reason": "internal error"})
        finally:
            try:
                await self._done()
            finally:
                self.layer.exchanges.pop(self.channel, None)
