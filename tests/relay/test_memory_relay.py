"""InMemoryRelay specifics: leaving it ends its readers; bad settings are refused."""

from __future__ import annotations

import anyio
import pytest
from _helpers import Folded

from textql_async.relay import InMemoryRelay
from textql_async.testing import FakeTextQL

QUESTION = "Which store has the largest floor space?"


async def test_closing_the_relay_ends_its_readers_with_an_error_and_the_upstream() -> None:
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client:
        relay = InMemoryRelay(client)
        answer_id = await relay.start(QUESTION, owner="alice")
        folded = Folded()
        three = anyio.Event()

        async def read() -> None:
            async for event in relay.events(answer_id, owner="alice"):
                folded.apply(event)
                if len(folded.events) == 3:
                    three.set()

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(read)
                await three.wait()
                await relay.aclose()
            await fake.wait_for_streams_closed()
        assert folded.kinds[-1] == "error"
        assert folded.events[-1].data["type"] == "RelayUnavailableError"
        assert folded.events[-1].data["snapshot"]["blocks"] == folded.blocks
        with pytest.raises(RuntimeError):
            await relay.start(QUESTION, owner="alice")


@pytest.mark.parametrize("kwargs", [{"keep": 0}, {"ttl": 0}])
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        InMemoryRelay(object(), **kwargs)  # type: ignore[arg-type]
