"""``examples/observability.py`` runs on its embedded fake and shows the trace, metrics and hooks."""

from __future__ import annotations

import os
import pathlib
import sys

import anyio

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "observability.py"


async def test_observability_example_shows_spans_metrics_and_hooks() -> None:
    env = {**os.environ, "TEXTQL_API_KEY": "", "TEXTQL_LOG": ""}
    result = await anyio.run_process([sys.executable, str(EXAMPLE)], env=env, check=False)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "hook: ana.ask attempt 0 -> 503" in out
    assert "hook: ana.ask attempt 1 -> 200" in out
    assert "span 'textql ana.ask'" in out and "'textql.retry_count': 1" in out
    assert "event textql.retry:" in out
    assert "span 'handle request'" in out
    assert "metric textql.client.duration: 1 recorded" in out
    assert "metric textql.client.retries: 1" in out
    assert "answer: " in out and "request id req_fake_" in out
