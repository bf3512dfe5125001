"""The conformance kit's app for ASGI workers: the same answers as apps/conformance-app.ts."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

ticks = {"n": 0}


async def hello(request):
    return PlainTextResponse(f"hello {request.query_params.get('name', '')}".strip())


async def echo(request):
    return Response(await request.body(), media_type="application/octet-stream")


async def stream(request):
    count = int(request.query_params.get("chunks", "40"))

    async def chunks():
        for i in range(count):
            yield f"chunk {i}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def boom(request):
    raise RuntimeError("boom")


async def tick(request):
    ticks["n"] += 1
    return PlainTextResponse(str(ticks["n"]))


async def count(request):
    return PlainTextResponse(str(ticks["n"]))


async def ws_echo(websocket: WebSocket):
    await websocket.accept(subprotocol="chat" if "chat" in websocket.scope.get("subprotocols", []) else None)
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            await websocket.send_bytes(message["bytes"][::-1])
        elif message["text"] == "bye":
            await websocket.close(code=4000, reason="bye")
            return
        else:
            await websocket.send_text(f"echo: {message['text']}")


async def ws_deny(websocket: WebSocket):
    await websocket.close()


app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream),
        Route("/boom", boom),
        Route("/tick", tick),
        Route("/ticks", count),
        WebSocketRoute("/ws/echo", ws_echo),
        WebSocketRoute("/ws/deny", ws_deny),
    ]
)
