"""Finish an answer whose stream dropped, from the chat history, without asking Ana again.

    python examples/recover_after_drop.py            # against an embedded FakeTextQL
    python examples/recover_after_drop.py CHAT_ID    # TEXTQL_API_KEY set: a real chat

Recovery returns only an answer the completion rule proves finished (no running Python
cell, nothing shorter than what was streamed, a later message or a body unchanged for
``stable_for`` seconds); otherwise it raises RecoveryTimeoutError with the best state known.
"""

import asyncio
import sys

from textql_async import AsyncTextQL, RecoveryTimeoutError, Snapshot, StreamError
from textql_async.testing import DropAfter, FakeTextQL


async def finish(client: AsyncTextQL, chat_id: str, snapshot: Snapshot | None, **kw: float) -> None:
    try:
        result = await client.ana.recover(chat_id, snapshot=snapshot, **kw)
    except RecoveryTimeoutError as error:
        blocks = error.snapshot.blocks if error.snapshot else ()
        print(f"not proven complete ({error.reason}); best state: {len(blocks)} blocks")
        return
    print(f"recovered={result.recovered}, {len(result.blocks)} blocks, answer: {result.answer}")


async def demo() -> None:
    # Ana needs 1 s more after the cut: meanwhile the history holds the partial answer
    async with FakeTextQL(answer_completes_after=1.0) as fake, fake.client() as client:
        fake.inject(DropAfter(events=15))  # cut while the Python cell runs
        try:
            await client.ana.ask("Which store is the largest?", recover=False)
        except StreamError as error:
            snapshot = error.snapshot
            assert snapshot is not None and snapshot.chat_id is not None
            print(f"stream dropped after {len(snapshot.blocks)} blocks")
            # the window must outlast Ana's pauses: 1.5 s here, where she needs 1 s more;
            # the default (30 s) is sized for the real service
            await finish(client, snapshot.chat_id, snapshot, stable_for=1.5)
    # a history that never finishes: a typed error after the timeout, never a partial result
    async with FakeTextQL(history="partial") as fake, fake.client() as client:
        fake.inject(DropAfter(events=15))
        try:
            await client.ana.ask("Which store is the largest?", recover=False)
        except StreamError as error:
            assert error.snapshot is not None and error.snapshot.chat_id is not None
            await finish(client, error.snapshot.chat_id, error.snapshot, timeout=1.0)


async def main(argv: list[str]) -> None:
    if argv:
        async with AsyncTextQL() as client:  # TEXTQL_API_KEY, TEXTQL_MEMBER_ID
            await finish(client, argv[0], None)
        return
    await demo()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
