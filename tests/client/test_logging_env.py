"""``TEXTQL_LOG=debug|info``: the ``textql_async`` logger on stderr, with no secret in it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio
    from textql_async.testing import FakeTextQL, HTTPError
    from textql_async import RetryPolicy

    async def main():
        async with FakeTextQL(api_key="sk-live-SECRETKEY123") as fake:
            fake.inject(HTTPError(503), times=1, path="/api/ana")
            async with fake.client(retry_policy=RetryPolicy(base=0.01, cap=0.02)) as client:
                await client.ana.ask("Which store?")
                await client.models.list()

    asyncio.run(main())
    """
)


def _run(level: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTQL_")}
    env["TEXTQL_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=50,
        env=env,
        check=False,
    )


def test_debug_logs_requests_retries_and_headers_without_secrets() -> None:
    done = _run("debug")
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "-> GET /api/ana headers=" in err
    assert "GET /api/ana -> 503" in err and "GET /api/ana -> 200" in err
    assert "retrying GET /api/ana" in err
    assert "GET /v2/models -> 200" in err
    assert "textql_async" in err
    assert "SECRETKEY123" not in err
    import base64

    basic = base64.b64encode(b"test-member:sk-live-SECRETKEY123").decode()
    assert basic not in err and basic[:12] not in err


def test_info_logs_one_line_per_response_and_no_headers() -> None:
    done = _run("info")
    assert done.returncode == 0, done.stderr
    assert "GET /v2/models -> 200" in done.stderr
    assert "headers=" not in done.stderr


def test_unset_or_unknown_logs_nothing() -> None:
    assert _run("").stderr == ""
    unknown = _run("verbose")
    assert unknown.returncode == 0
    assert "ignoring TEXTQL_LOG='verbose'" in unknown.stderr
    assert "GET /v2/models" not in unknown.stderr


def test_the_redacting_filter_masks_tokens_and_keys() -> None:
    import logging

    from textql_async._logging import _RedactSecrets

    record = logging.LogRecord(
        "textql_async",
        logging.INFO,
        __file__,
        1,
        "auth %s and key %s",
        ("Bearer abc.def", "k-123456"),
        None,
    )
    redact = _RedactSecrets()
    redact.add(["k-123456"])
    assert redact.filter(record)
    assert record.getMessage() == "auth Bearer *** and key ***"
