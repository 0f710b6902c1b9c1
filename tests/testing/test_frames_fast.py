"""``ana_event`` builds exactly the bytes ``sse_frame`` builds for the same JSON."""

from __future__ import annotations

import msgspec
import pytest

from textql_async.testing import ana_event, sse_frame
from textql_async.testing._answers import default_answer

_PAYLOADS: list[object] = [
    "fake-chat-1",
    33893,
    None,
    {"tag": "TextBlock", "contents": "line one\nline two\r\nthree\rfour", "id": "a"},
    {"tag": "PythonBlock", "contents": "print('\u00e9\u2028\u2029')", "results": []},
    [1, 2.5, True, {"nested": "\n\n"}],
]


@pytest.mark.parametrize("payload", _PAYLOADS)
def test_ana_event_matches_sse_frame(payload: object) -> None:
    expected = sse_frame("block", msgspec.json.encode(payload).decode())
    assert ana_event("block", payload) == expected
    assert expected.count(b"\n") == 3  # one event line, one data line, the blank line


def test_the_default_answer_renders_as_before() -> None:
    for name, payload in default_answer(
        "q\nwith a break", chat_id="c", user_msg_id=1, assistant_msg_id=2
    ):
        assert ana_event(name, payload) == sse_frame(name, msgspec.json.encode(payload).decode())


def test_an_event_name_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        ana_event("block\nevil", {})
