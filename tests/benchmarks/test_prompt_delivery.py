"""Events are yielded as soon as their blank line arrives (a test, not a timing).

The server writes event 1, then waits on an ``asyncio.Event`` that is set only once the
client has received update 1: a client that held event 1 back until more bytes came would
never see it (the wait is bounded only to turn such a deadlock into a failure).
"""

from __future__ import annotations

import pytest

from benchmarks.promptness import PROMPT_VIEWS, prompt_delivery


@pytest.mark.parametrize("view", PROMPT_VIEWS)
async def test_first_update_arrives_while_the_server_holds_the_rest(view: str) -> None:
    assert await prompt_delivery(view)
