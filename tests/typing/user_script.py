"""A newcomer's script using both clients: type-checked strict (mypy, pyright) and run.

``tests/typing/test_strict_typing.py`` checks it with ``mypy --strict --disallow-any-expr``
and ``pyright --strict`` (every result must have its precise type, never ``Any``) and
then runs it against a FakeTextQL whose URL is the first argument.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from textql_async import (
    AnaResult,
    AsyncTextQL,
    BatchAnswer,
    BatchFailure,
    BatchItem,
    Block,
    BlockUpdate,
    ChatPage,
    ChatSummary,
    Model,
    Snapshot,
    Timeout,
)
from textql_async.sync import SyncAnaStream, TextQL

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value: object, _: object) -> object:
        return value


def sync_part(url: str) -> None:
    with TextQL("test-key", "test-member", url, timeout=Timeout(total=30)) as client:
        result = client.ana.ask("Which store is the largest?", dataset="retail")
        assert_type(result, AnaResult)
        answer = result.answer
        assert_type(answer, "str | None")
        assert answer

        with client.ana.stream("Revenue by month?") as stream:
            assert_type(stream, SyncAnaStream)
            for update in stream:
                assert_type(update, BlockUpdate)
                assert_type(update.block, Block)
            snapshot = stream.snapshot
            assert_type(snapshot, Snapshot)
        with client.ana.stream("Again?") as stream:
            deltas = stream.text_deltas()
            assert_type(deltas, Iterator[str])
            text = "".join(deltas)
            assert_type(text, str)
        with client.ana.stream("Once more?") as stream:
            assert_type(stream.final_text(), str)

        for item in client.ana.batch(["Top customers?", "Churn?"], concurrency=2, dataset="x"):
            assert_type(item, BatchItem)
            if item.error is None:  # narrows under mypy and pyright
                assert_type(item, BatchAnswer)
                assert_type(item.result, AnaResult)
                print(item.index, item.result.answer)
            else:
                assert_type(item, BatchFailure)
                assert_type(item.error, Exception)
            if item.ok is True:
                assert_type(item.result, AnaResult)
            assert_type(item.unwrap(), AnaResult)

        summaries = client.ana.chat_summaries()
        assert_type(summaries, list[ChatSummary])
        page = client.chats.list(limit=10)
        assert_type(page, ChatPage)
        assert_type(client.models.list(), list[Model])
        chats = [chat.id for chat in client.chats.iter(page_size=5)]
        assert_type(chats, list[str])
        assert_type(client.base_url, str)
        assert_type(client.member_id, "str | None")

        fast = client.with_options(timeout=10, max_retries=0)  # shares the pool and the thread
        assert_type(fast, TextQL)
        assert_type(fast.ana.ask("Quick?"), AnaResult)
        fast.close()  # a copy: closing it leaves the original open
        assert client.ana.chat_summaries()


async def async_part(url: str) -> None:
    async with AsyncTextQL("test-key", "test-member", url) as client:
        result = await client.ana.ask("Which store is the largest?")
        assert_type(result, AnaResult)
        async with client.ana.stream("Revenue by month?") as stream:
            async for update in stream:
                assert_type(update, BlockUpdate)
            assert_type(await stream.final_text(), str)
        async for item in client.ana.batch(["Top customers?"], recover=False):
            if item.ok:  # mypy narrows on the Literal ok; pyright needs `is True`
                pass
            if isinstance(item, BatchAnswer):
                assert_type(item.result, AnaResult)


if __name__ == "__main__":
    sync_part(sys.argv[1])
    asyncio.run(async_part(sys.argv[1]))
    print("ok")
