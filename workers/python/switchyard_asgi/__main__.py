"""
`python -m switchyard_asgi module:app --redis URL [--prefix P] [--concurrency N]`: runs an ASGI 3
application as a switchyard worker, taking HTTP requests and WebSocket connections from the
layer's `http.request` and `websocket` channels.
"""

import argparse
import asyncio
import importlib
import signal
import sys

from .http import HttpExchange
from .layer import Layer
from .consumers import App, run_channel, run_websocket_event
from .lifespan import Lifespan
from .websocket import WebSocketConnection


def load(spec: str):
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise SystemExit(f"{spec}: give the application as module:attribute (myproject.asgi:application)")
    app = importlib.import_module(module_name)
    for part in attribute.split("."):
        app = getattr(app, part)
    return app


def log(line: str) -> None:
    print(f"switchyard_asgi: {line}", file=sys.stderr, flush=True)


async def serve(app, url: str, prefix: str, concurrency: int, channels: list[str]) -> None:
    layer = Layer(url, prefix, log)
    if isinstance(app, App):
        app.layer = layer  # what its handlers send through
    running: set[asyncio.Task] = set()
    connections: set[asyncio.Task] = set()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    lifespan = Lifespan(app, log)
    await lifespan.startup()  # before any request is taken; a failure stops the worker here
    await layer.start(channels)
    log(f"worker {layer.process} takes {', '.join(channels)} on {prefix}")
    try:
        while not stopping.is_set():
            room = concurrency - len(running)
            pop = asyncio.ensure_future(layer.pop(channels, room))
            stop = asyncio.ensure_future(stopping.wait())
            done, _ = await asyncio.wait({pop, stop}, return_when=asyncio.FIRST_COMPLETED)
            if pop not in done:
                pop.cancel()  # what it may have taken is lost with the connection: at most once
                break
            stop.cancel()
            for target, message in pop.result():
                # A group delivery names [group, member…]: to an ordinary channel, [group, channel].
                channel = target if isinstance(target, str) else target[-1]
                kind = message["type"]
                if channel in layer.exchanges:
                    layer.exchanges[channel].deliver(message)
                elif "!" in channel:
                    # For a connection whose handler has ended: its events (the disconnect, say)
                    # are still answered, so the server does not wait for them.
                    if kind.startswith("websocket.") and isinstance(message.get("reply_channel"), str):
                        task = asyncio.create_task(layer.send(message["reply_channel"], {"type": "websocket.done"}))
                        running.add(task)
                        task.add_done_callback(running.discard)
                elif isinstance(app, App) and kind != "http.request":
                    # switchyard's own consumers: a named channel's message, or a WebSocket event, on any worker.
                    work = run_channel(app, layer, channel, message, log) if channel in app.channels else run_websocket_event(app, layer, message, log)
                    task = asyncio.create_task(work)
                    running.add(task)
                    task.add_done_callback(running.discard)
                elif kind in ("http.request", "websocket.connect"):
                    # Requests count against the concurrency; open WebSockets, which mostly wait, do not.
                    is_http = message["type"] == "http.request"
                    handler = HttpExchange(layer, message, log) if is_http else WebSocketConnection(layer, message, log)
                    task = asyncio.create_task(handler.run(app))
                    tracked = running if is_http else connections
                    tracked.add(task)
                    task.add_done_callback(tracked.discard)
        # Drain: no new work, but the inbox is still read (body chunks, credit, events of kept
        # connections) until what runs is done, for up to 10 s.
        drain_until = loop.time() + 10
        # Connections this worker kept (events_to) go with it: their clients hear 1001 (going
        # away) and reconnect to another worker; their disconnect events still come here.
        for handler in list(layer.exchanges.values()):
            if isinstance(handler, WebSocketConnection):
                await handler.going_away()
        while (running or connections) and loop.time() < drain_until:
            for target, message in await layer.pop(channels, 0):
                channel = target if isinstance(target, str) else target[-1]
                if channel in layer.exchanges:
                    layer.exchanges[channel].deliver(message)
    finally:
        await layer.close()
        await lifespan.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m switchyard_asgi", description="run an ASGI 3 application as a switchyard worker")
    parser.add_argument("app", help="module:attribute of the ASGI application")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="the layer's Redis (default redis://127.0.0.1:6379)")
    parser.add_argument("--prefix", default="switchyard", help="the layer's key prefix (default switchyard)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests handled at once (default 64)")
    parser.add_argument("--channel", action="append", dest="channels", help="a channel of requests and connections to take (default: http.request and websocket)")
    args = parser.parse_args()
    app = load(args.app)
    channels = args.channels or ["http.request", "websocket"]
    if isinstance(app, App):
        channels += [name for name in app.channels if name not in channels]
    asyncio.run(serve(app, args.redis, args.prefix, args.concurrency, channels))


if __name__ == "__main__":
    main()
