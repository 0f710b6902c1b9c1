"""A client made once at module level, used by several ``asyncio.run`` calls (and typed).

Credentials come from TEXTQL_API_KEY / TEXTQL_MEMBER_ID (and TEXTQL_BASE_URL). Each
``asyncio.run`` has its own event loop: the client's connection pool is closed when a run
ends and made anew by the next one, so the pattern openai documents works here too.
"""

import asyncio
import sys

from textql_async import AsyncTextQL, BatchAnswer

client = AsyncTextQL(timeout=60)  # a number bounds the whole call: Timeout(total=60)


async def stream_answer(question: str) -> str:
    async with client.ana.stream(question) as stream:
        async for text in stream.text_deltas():  # a new TextBlock starts with "\n\n"
            print(text, end="", flush=True)
        print()
        return await stream.final_text()


async def ask_many(questions: list[str]) -> None:
    async for item in client.ana.batch(questions, concurrency=4):
        if isinstance(item, BatchAnswer):  # narrows: item.result is an AnaResult
            print(f"{item.index}: {item.result.answer}")
        else:
            print(f"{item.index}: failed: {item.error}")


if __name__ == "__main__":
    question = " ".join(sys.argv[1:]) or "Which store is the largest?"
    text = asyncio.run(stream_answer(question))  # first event loop
    asyncio.run(ask_many([question, "Revenue by month?"]))  # a second one, same client
    asyncio.run(client.aclose())
    print(f"-- {len(text)} characters of text")
