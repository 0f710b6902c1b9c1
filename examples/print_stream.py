"""Print Ana's answer as it streams (credentials from TEXTQL_API_KEY / TEXTQL_MEMBER_ID)."""

import asyncio
import sys

from textql_async import AsyncTextQL


async def main(question: str) -> None:
    async with AsyncTextQL() as client, client.ana.stream(question) as stream:
        async for text in stream.text_deltas():
            print(text, end="", flush=True)
    print()


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which store is the largest?"))
