"""FakeTextQL in its own process, for tests and benchmarks that run the relay as real replicas.

    python tests/fastapi_relay/_fake_process.py PORT CONTROL_PORT EVENT_DELAY

Serves the fake on PORT (credentials ``test-key`` / ``test-member``) pacing its events by
EVENT_DELAY seconds, and a small control app on CONTROL_PORT:

- ``GET /requests`` -> ``[{"method", "path", "query"}]``, every request the fake received;
- ``GET /chats`` -> ``[{"chat_id", "question", "complete", "blocks", "script"}]``: the blocks the
  chat history holds and the final blocks of the scripted answer (what Ana produced);
- ``POST /event_delay?seconds=`` changes the pacing.

Prints ``ready`` once both listen; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from textql_async.testing import FakeTextQL, default_answer, final_blocks


async def main(port: int, control_port: int, event_delay: float) -> None:
    async with FakeTextQL(port=port, event_delay=event_delay) as fake:

        async def requests(request: web.Request) -> web.Response:
            return web.json_response(
                [{"method": r.method, "path": r.path, "query": r.query} for r in fake.requests]
            )

        async def chats(request: web.Request) -> web.Response:
            out = []
            for chat in fake.chats:
                script = default_answer(
                    chat.question,
                    chat_id=chat.chat_id,
                    user_msg_id=chat.user_msg_id,
                    assistant_msg_id=chat.assistant_msg_id,
                )
                out.append(
                    {
                        "chat_id": chat.chat_id,
                        "question": chat.question,
                        "complete": not chat.pending,
                        "blocks": list(chat.blocks.values()),
                        "script": final_blocks(script),
                    }
                )
            return web.json_response(out)

        async def event_delay_route(request: web.Request) -> web.Response:
            fake.event_delay = float(request.query["seconds"])
            return web.json_response({"event_delay": fake.event_delay})

        control = web.Application()
        control.router.add_get("/requests", requests)
        control.router.add_get("/chats", chats)
        control.router.add_post("/event_delay", event_delay_route)
        runner = web.AppRunner(control, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", control_port).start()
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            print("ready", flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
