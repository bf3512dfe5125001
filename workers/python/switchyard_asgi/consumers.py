"""
switchyard's own consumer model in Python: HTTP handlers, WebSocket consumers that handle one
event at a time with the connection's state carried by the server, groups, and consumers of
named channels. Run with `python -m switchyard_asgi module:app` like an ASGI app.

    app = App()

    @app.http("/hello")
    async def hello(request):
        return f"hello {request.query.get('name', '')}"

    @app.websocket("/ws/chat/:room")
    class Chat:
        async def connect(ctx):
            await ctx.group_add(f"room.{ctx.params['room']}")
            await ctx.accept()

    @app.channel("jobs")
    async def job(ctx, message): ...
"""

import json
import re
from urllib.parse import parse_qs

from .protocol import close_reason

#: Where this worker keeps a connection's route in its carried state (a receive carries no path).
ROUTE_KEY = "$py"


def _pattern(path: str) -> re.Pattern:
    """`/ws/chat/:room` → a regex with a named group per `:param`."""
    parts = [f"(?P<{p[1:]}>[^/]+)" if p.startswith(":") else re.escape(p) for p in path.strip("/").split("/")]
    return re.compile("^/" + "/".join(parts) + "$")


class Request:
    """An HTTP request, whole; `ctx` sends through the layer (named channels, groups)."""

    def __init__(self, scope: dict, body: bytes, params: dict, ctx: "ChannelContext"):
        self.ctx = ctx
        self.method = scope["method"]
        self.path = scope["path"]
        self.params = params
        self.query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()}
        self.headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        self.body = body

    def json(self):
        return json.loads(self.body)


class Response:
    def __init__(self, body: bytes | str = b"", status: int = 200, headers: dict | None = None, content_type: str | None = None):
        self.body = body.encode() if isinstance(body, str) else bytes(body)
        self.status = status
        self.headers = dict(headers or {})
        self.headers.setdefault("content-length", str(len(self.body)))
        if content_type is not None:
            self.headers["content-type"] = content_type
        elif "content-type" not in self.headers:
            self.headers["content-type"] = "text/plain; charset=utf-8" if isinstance(body, str) else "application/octet-stream"


class App:
    """Routes and consumers; an ASGI 3 app for HTTP and lifespan, and the worker's table for the rest."""

    def __init__(self):
        self.http_routes: list[tuple[re.Pattern, str | None, object]] = []
        self.websocket_routes: list[tuple[re.Pattern, object]] = []
        self.channels: dict[str, object] = {}
        self.layer = None  # set by the worker: what handlers send through

    def http(self, path: str, method: str | None = None):
        def register(handler):
            self.http_routes.append((_pattern(path), method, handler))
            return handler

        return register

    def websocket(self, path: str):
        def register(consumer):
            self.websocket_routes.append((_pattern(path), consumer))
            return consumer

        return register

    def channel(self, name: str):
        def register(consumer):
            self.channels[name] = consumer
            return consumer

        return register

    def websocket_route(self, path: str):
        for pattern, consumer in self.websocket_routes:
            match = pattern.match(path)
            if match:
                return consumer, match.groupdict()
        return None, {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                await send({"type": event["type"] + ".complete"})
                if event["type"] == "lifespan.shutdown":
                    return
        if scope["type"] != "http":
            raise RuntimeError(f"switchyard consumers run {scope['type']} through the worker, not ASGI")
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        response = await self._answer(scope, body)
        await send({"type": "http.response.start", "status": response.status, "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]})
        await send({"type": "http.response.body", "body": response.body})

    async def _answer(self, scope, body: bytes) -> Response:
        for pattern, method, handler in self.http_routes:
            match = pattern.match(scope["path"])
            if match and (method is None or method == scope["method"]):
                result = await handler(Request(scope, body, match.groupdict(), ChannelContext(self.layer)))
                if isinstance(result, Response):
                    return result
                if isinstance(result, (dict, list)):
                    return Response(json.dumps(result), content_type="application/json")
                return Response(result)
        return Response("not found", status=404)


class ChannelContext:
    """What a consumer of a named channel (or any consumer) can do through the layer."""

    def __init__(self, layer):
        self._layer = layer

    async def send(self, channel: str, message: dict) -> None:
        await self._layer.send(channel, message)

    async def group_send(self, group: str, message: dict) -> None:
        await self._layer.group_send(group, message)

    async def broadcast(self, group: str, data) -> None:
        frame = {"type": "websocket.send", "text": data} if isinstance(data, str) else {"type": "websocket.send", "bytes": bytes(data)}
        await self._layer.group_send(group, frame)


class WebSocketContext(ChannelContext):
    """One event of a connection: its state (carried by the server), its channel, its replies."""

    def __init__(self, layer, reply: str, state: dict, params: dict, path: str, accepted: bool = False):
        super().__init__(layer)
        self._accepted_by_server = accepted
        self.channel = reply
        self.state = state
        self.params = params
        self.path = path
        self.answered = False  # accepted or denied (the connect event)

    async def accept(self, subprotocol: str | None = None) -> None:
        self.answered = True
        if self._accepted_by_server:
            return  # the server accepted at once: a second accept would fail the connection
        await self._layer.send(self.channel, {"type": "websocket.accept", "subprotocol": subprotocol, "headers": []})

    async def deny(self, status: int = 403) -> None:
        self.answered = True
        await self._layer.send(self.channel, {"type": "websocket.close", "code": 1000, "status": status})

    async def send(self, data, message: dict | None = None) -> None:  # type: ignore[override]
        """A frame to the client, or with a message, a message to the channel `data`."""
        if message is not None:
            await self._layer.send(data, message)
        elif isinstance(data, str):
            await self._layer.send(self.channel, {"type": "websocket.send", "text": data})
        else:
            await self._layer.send(self.channel, {"type": "websocket.send", "bytes": bytes(data)})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._layer.send(self.channel, {"type": "websocket.close", "code": code, "reason": close_reason(reason)})

    async def group_add(self, group: str) -> None:
        await self._layer.group_add(group, self.channel)

    async def group_discard(self, group: str) -> None:
        await self._layer.group_discard(group, self.channel)


async def run_websocket_event(app: App, layer, message: dict, log) -> None:
    """
    One event of a connection, on any worker: the route comes from the connect's path, kept in the
    carried state; `websocket.done` with the state ends it, so the server sends the next.
    """
    reply = message["reply_channel"]
    state = dict(message.get("state") or {})
    kind = message["type"]
    if kind == "websocket.connect":
        state[ROUTE_KEY] = message["path"]
    path = state.get(ROUTE_KEY, "")
    consumer, params = app.websocket_route(path)
    user_state = {k: v for k, v in state.items() if k != ROUTE_KEY}
    ctx = WebSocketContext(layer, reply, user_state, params, path, accepted=kind == "websocket.connect" and bool(message.get("accepted")))
    try:
        if consumer is None:
            if kind == "websocket.connect":
                await ctx.deny(404)
        elif kind == "websocket.connect":
            connect = getattr(consumer, "connect", None)
            if connect is None:
                await ctx.accept()
            else:
                await connect(ctx)
        elif kind == "websocket.receive":
            handler = getattr(consumer, "receive", None)
            if handler is not None:
                await handler(ctx, {"text": message.get("text"), "bytes": message.get("bytes")})
        elif kind == "websocket.disconnect":
            handler = getattr(consumer, "disconnect", None)
            if handler is not None:
                await handler(ctx, int(message.get("code", 1005)))
        else:
            handler = getattr(consumer, "events", {}).get(kind)
            if handler is not None:
                await handler(ctx, message)
    except Exception as error:  # noqa: BLE001 - the consumer's failure is this connection's alone
        log(f"the consumer of {path} failed on {kind}: {error!r}")
        if kind == "websocket.connect" and not ctx.answered:
            await layer.send(reply, {"type": "websocket.close", "code": 1011, "status": 500})
        elif kind != "websocket.disconnect":
            await layer.send(reply, {"type": "websocket.close", "code": 1011, "reason": "internal error"})
    await layer.send(reply, {"type": "websocket.done", "state": {**ctx.state, ROUTE_KEY: path}})


async def run_channel(app: App, layer, channel: str, message: dict, log) -> None:
    consumer = app.channels[channel]
    try:
        await consumer(ChannelContext(layer), message)
    except Exception as error:  # noqa: BLE001 - one message's failure
        log(f"the consumer of channel {channel} failed on a {message.get('type')!r} message: {error!r}")
