"""A Starlette app for the Python worker's tests: whole, echoed and failing responses, lifespan."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


async def hello(request):
    return PlainTextResponse(f"hello from starlette {request.query_params.get('name', '')}".strip())


async def echo(request):
    body = await request.body()
    return Response(body, media_type=request.headers.get("content-type", "application/octet-stream"), headers={"x-length": str(len(body))})


async def boom(request):
    raise RuntimeError("boom")


started = {"count": 0}


async def startup():
    started["count"] += 1


async def lifespan_count(request):
    return PlainTextResponse(str(started["count"]))


app = Starlette(
    routes=[Route("/hello", hello), Route("/echo", echo, methods=["POST"]), Route("/boom", boom), Route("/started", lifespan_count)],
    on_startup=[startup],
)
