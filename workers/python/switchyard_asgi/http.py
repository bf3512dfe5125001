"""One HTTP exchange of the protocol, run through an ASGI 3 application."""

import asyncio

from .protocol import now_ms
from .scope import connection_scope

#: What a worker assumes when a request announces no response window (DEFAULT_RESPONSE_WINDOW).
DEFAULT_RESPONSE_WINDOW = 16


class HttpExchange:
    """
    `http.request` in, the app's ASGI events out: the first body chunk comes with the request,
    later ones by `http.request.pull` to a channel of this worker's own; a whole response goes
    as one `http.response`, a streamed one as `http.response.start` + `http.response.body`
    chunks within the credit the server grants (`http.response.credit`, same channel).
    """

    def __init__(self, layer, request: dict, log):
        self.layer = layer
        self.request = request
        self.reply = request["reply_channel"]
        self.log = log
        self.channel: str | None = None  # ours, once a pull named it
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.window = int(request.get("extensions", {}).get("http.response.window", {}).get("chunks", DEFAULT_RESPONSE_WINDOW))
        self.credit = asyncio.Event()
        self.first = True
        self.body_done = not request.get("more_body", False)
        self.disconnected = False
        self.start: dict | None = None
        self.started = False
        self.finished = False
        self.client_gone = False

    def deliver(self, message: dict) -> None:
        """A message for our channel: body chunks and the disconnect for receive(), credit for send()."""
        if message["type"] == "http.response.credit":
            self.window += int(message["chunks"])
            self.credit.set()
        else:
            if message["type"] == "http.disconnect":
                self.client_gone = True
                self.credit.set()  # a send waiting for credit stops at once
            self.incoming.put_nowait(message)

    def scope(self) -> dict:
        return {**connection_scope(self.request, "http"), "method": self.request["method"]}

    async def _pull(self, chunks: int) -> None:
        if self.channel is None:
            self.channel = self.layer.new_channel()
            self.layer.exchanges[self.channel] = self
        await self.layer.send(self.reply, {"type": "http.request.pull", "channel": self.channel, "chunks": chunks})

    async def receive(self) -> dict:
        if self.first:
            self.first = False
            return {"type": "http.request", "body": bytes(self.request["body"]), "more_body": not self.body_done}
        if self.disconnected:
            return {"type": "http.disconnect"}
        await self._pull(0 if self.body_done else 1)
        message = await self.incoming.get()
        if message["type"] == "http.disconnect":
            self.disconnected = True
            return {"type": "http.disconnect"}
        self.body_done = not message.get("more_body", False)
        return {"type": "http.request", "body": bytes(message.get("body", b"")), "more_body": not self.body_done}

    async def send(self, event: dict) -> None:
        kind = event["type"]
        if kind == "http.response.start":
            self.start = {
                "status": int(event["status"]),
                "headers": [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in event.get("headers", [])],
            }
            return
        if kind != "http.response.body" or self.finished:
            return
        if self.start is None:
            raise RuntimeError("http.response.body before http.response.start")
        more = bool(event.get("more_body", False))
        body = bytes(event.get("body", b""))
        if not self.started and not more:
            # The whole response in one message.
            self.finished = True
            await self.layer.send(self.reply, {"type": "http.response", "status": self.start["status"], "headers": self.start["headers"], "body": body})
            return
        if not self.started:
            self.started = True
            if self.channel is None:
                await self._pull(0)  # names the channel the server's credit comes to
            await self.layer.send(self.reply, {"type": "http.response.start", "status": self.start["status"], "headers": self.start["headers"]})
        while self.window <= 0 and not self.client_gone:
            self.credit.clear()
            await self.credit.wait()
        if self.client_gone:
            raise ConnectionError("the client went away")  # ASGI: a send after the disconnect fails
        self.window -= 1
        self.finished = not more
        await self.layer.send(self.reply, {"type": "http.response.body", "body": body, "more_body": more})

    async def run(self, app) -> None:
        deadline = self.request.get("deadline")
        if deadline is not None and now_ms() >= deadline:
            return  # its client stopped waiting: dropped unrun
        try:
            await app(self.scope(), self.receive, self.send)
            if not self.finished:
                await self.fail("the application returned without a complete response")
        except Exception as error:  # noqa: BLE001 - the app's failure is this exchange's alone
            self.log(f"the application failed on {self.request['method']} {self.request['path']}: {error!r}")
            await self.fail(str(error)[:200])
        finally:
            if self.channel is not None:
                self.layer.exchanges.pop(self.channel, None)

    async def fail(self, reason: str) -> None:
        """500 before the response started; a cut-off response after (never a truncated body taken for whole)."""
        if self.finished:
            return
        self.finished = True
        await self.layer.send(self.reply, {"type": "http.response.abort", "reason": reason[:200]})
