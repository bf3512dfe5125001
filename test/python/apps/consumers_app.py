"""switchyard's own consumer model in Python: an HTTP handler, a chat room over groups, a named channel."""

from switchyard_asgi.consumers import App, Response

app = App()
jobs: list[dict] = []


@app.http("/hello")
async def hello(request):
    return f"hello {request.query.get('name', '')}".strip()


@app.http("/jobs", method="POST")
async def enqueue(request):
    await request.ctx.send("jobs", {"type": "job", "n": request.json()["n"]})
    return Response("queued", status=202)


@app.http("/jobs", method="GET")
async def done_jobs(request):
    return sorted(job["n"] for job in jobs)


@app.channel("jobs")
async def run_job(ctx, message):
    jobs.append(message)


@app.websocket("/ws/chat/:room")
class Chat:
    async def connect(ctx):
        await ctx.group_add(f"room.{ctx.params['room']}")
        ctx.state["name"] = "guest"
        await ctx.accept()

    async def receive(ctx, message):
        text = message["text"] or ""
        if text.startswith("name:"):
            ctx.state["name"] = text[5:]  # carried by the server to the next event, on any worker
            return
        await ctx.broadcast(f"room.{ctx.params['room']}", f"{ctx.state['name']}: {text}")

    async def disconnect(ctx, code):
        await ctx.group_discard(f"room.{ctx.params['room']}")
