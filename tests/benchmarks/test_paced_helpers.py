"""The paced benchmark's helpers: the server CPU reading and the lean server's answer."""

from __future__ import annotations

import os
import sys

import pytest

from benchmarks.concurrency import _proc_cpu
from benchmarks.server import paced_events
from textql_async.testing import render_script
from textql_async.testing._answers import default_answer


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_proc_cpu_reads_a_live_process_and_none_for_a_missing_one() -> None:
    before = _proc_cpu(os.getpid())
    sum(i * i for i in range(200_000))  # some CPU time, whatever it takes
    after = _proc_cpu(os.getpid())
    assert before is not None and after is not None and after >= before
    assert _proc_cpu(None) is None


def test_the_lean_server_sends_the_fakes_default_answer_one_event_a_write() -> None:
    events = paced_events()
    script = default_answer(
        "question",
        chat_id="fake-chat-0123456789abcdef01",
        user_msg_id=33893,
        assistant_msg_id=33894,
    )
    assert b"".join(events) == render_script(script)
    assert len(events) == len(script)
    assert all(e.endswith(b"\n\n") and e.count(b"\n\n") == 1 for e in events)
    blocks = sum(name == "block" for name, _ in script)
    assert sum(e.startswith(b"event: block\n") for e in events) == blocks > 4
