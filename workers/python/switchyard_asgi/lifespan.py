"""The ASGI lifespan protocol: startup before the worker takes requests, shutdown after it drained."""

import asyncio


class Lifespan:
    """
    Runs the app's lifespan scope in a task of its own. An app that does not speak lifespan
    (it raises on the scope, as Django's ASGI handler does) runs without it, as the ASGI spec
    allows; one that reports `lifespan.startup.failed` stops the worker before it takes work.
    """

    def __init__(self, app, log):
        self.app = app
        self.log = log
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.replies: asyncio.Queue = asyncio.Queue()
        self.state: dict = {}
        self.task: asyncio.Task | None = None
        self.supported = True

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self.inbox.get, self.replies.put)
        except Exception as error:  # noqa: BLE001 - an app without lifespan support raises here
            if self.supported:
                self.supported = False
                self.log(f"the application does not run lifespan ({error!r}): going on without it")
                await self.replies.put({"type": "lifespan.unsupported"})

    async def startup(self) -> None:
        self.task = asyncio.create_task(self._run())
        await self.inbox.put({"type": "lifespan.startup"})
        reply = await self.replies.get()
        if reply["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"lifespan startup failed: {reply.get('message', '')}")

    async def shutdown(self) -> None:
        if not self.supported or self.task is None or self.task.done():
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        reply = await self.replies.get()
        if reply["type"] == "lifespan.shutdown.failed":
            self.log(f"lifespan shutdown failed: {reply.get('message', '')}")
