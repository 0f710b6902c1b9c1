"""Show every block as it grows, then the final answer and any errors Ana reported.

Runs against the embedded fake server when no TEXTQL_API_KEY is set.
"""

import asyncio
import os
import sys

from textql_async import AsyncTextQL, ErrorBlock, PythonBlock, StreamError, TextBlock
from textql_async.testing import FakeTextQL


async def show(client: AsyncTextQL, question: str) -> None:
    try:
        async with client.ana.stream(question) as stream:
            async for update in stream:
                block = update.block
                label = "new" if update.is_new else "grew"
                if isinstance(block, TextBlock):
                    print(f"[{update.index}] text {label}: {block.contents[-60:]!r}")
                elif isinstance(block, PythonBlock):
                    print(f"[{update.index}] python {label}: {len(block.results or [])} results")
                elif isinstance(block, ErrorBlock):
                    print(f"[{update.index}] error: {block.contents}")
                else:
                    print(f"[{update.index}] {type(block).__name__} {label}")
            result = await stream.final()
    except StreamError as exc:
        blocks = exc.snapshot.blocks if exc.snapshot else ()
        print(f"stream failed after {len(blocks)} blocks: {exc}")
        return
    print("answer:", result.answer)
    print("errors:", [e.contents for e in result.errors])


async def main(question: str) -> None:
    if os.environ.get("TEXTQL_API_KEY"):
        async with AsyncTextQL() as client:
            await show(client, question)
        return
    async with FakeTextQL() as fake, fake.client() as client:
        await show(client, question)


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which store is the largest?"))
