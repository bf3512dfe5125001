"""`GET /hello` → 200 'hello' (text/plain): the app of `npm run bench:asgi`, under every server alike."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request):
    return PlainTextResponse("hello")


app = Starlette(routes=[Route("/hello", hello)])
