"""A Starlette app for the Python worker's tests: whole, echoed, streamed and failing responses."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket


async def hello(request):
    return PlainTextResponse(f"hello from starlette {request.query_params.get('name', '')}".strip())


async def echo(request):
    body = await request.body()
    return Response(body, media_type=request.headers.get("content-type", "application/octet-stream"), headers={"x-length": str(len(body))})


async def stream(request):
    count = int(request.query_params.get("chunks", "40"))

    async def chunks():
        for i in range(count):
            yield f"chunk {i}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def boom(request):
    raise RuntimeError("boom")


async def ws_echo(websocket: WebSocket):
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol="chat" if "chat" in offered else None)
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
    await websocket.close(code=1008)


started = {"count": 0}


async def startup():
    started["count"] += 1


async def lifespan_count(request):
    return PlainTextResponse(str(started["count"]))


app = Starlette(
    routes=[Route("/hello", hello), Route("/echo", echo, methods=["POST"]), Route("/stream", stream), Route("/boom", boom), Route("/started", lifespan_count), WebSocketRoute("/ws/echo", ws_echo), WebSocketRoute("/ws/deny", ws_deny)],
    on_startup=[startup],
)
