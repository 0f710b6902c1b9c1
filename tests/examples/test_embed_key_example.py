"""examples/embed_key.py, run as a user would (a subprocess): the browser gets a short-lived key only."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import sys
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest

from textql_async.testing import FakeTextQL

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "embed_key.py"
LONG_LIVED = "long-lived-server-key-7c41e"
ROLE = "80de0196-496f-44fe-9d4c-8013b3b44082"
IFRAME = re.compile(r'<iframe src="([^"]+)"')


async def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TEXTQL_")}
    result = await anyio.run_process(
        [sys.executable, str(EXAMPLE), *args], env={**base, **env}, check=False
    )
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def _auth_key(out: str) -> str:
    match = IFRAME.search(out)
    assert match is not None, out
    url = urlsplit(match.group(1).replace("&amp;", "&"))
    assert url.path == "/embed"
    (key,) = parse_qs(url.query)["authKey"]
    return key


async def test_mints_a_short_lived_scoped_key_and_never_prints_the_server_key() -> None:
    async with FakeTextQL(api_key=LONG_LIVED) as fake:
        env = {
            "TEXTQL_API_KEY": LONG_LIVED,
            "TEXTQL_BASE_URL": fake.url,
            "TEXTQL_EMBED_ROLE_IDS": ROLE,
        }
        url = fake.url
        code, out, err = await _run(env, "globex", "sam@globex.example")
        assert code == 0, err
        key = _auth_key(out)
        stored = fake.api_keys.by_secret(key)
        assert stored is not None and stored.status == "active"
        assert fake.api_keys.accepts(key)  # the browser's key works...
        assert stored.expiry_seconds == 900 and stored.assumed_roles == [ROLE]
        assert json.loads(stored.client_id or "") == {
            "tenant_id": "globex",
            "user_email": "sam@globex.example",
        }
        assert fake.api_keys.bodies == [
            {
                "assumedRoles": [ROLE],
                "expirySeconds": 900,
                "clientId": stored.client_id,
                "name": "embed-globex",
            }
        ]
    assert LONG_LIVED not in out and LONG_LIVED not in err  # ...the server's key never leaves
    assert out.count(key) == 1  # the secret is in the iframe URL only, not in the log lines
    assert f"{url}/embed?authKey=" in out and stored.id in out


async def test_runs_on_its_embedded_fake_without_a_key() -> None:
    code, out, err = await _run({})
    assert code == 0, err
    assert _auth_key(out).startswith("tqlk_")
    assert "minted key" in out and "for acme" in out and "'***'" in out


async def test_refuses_to_mint_without_a_role_scope(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # in-process (it stops before any request): importing the example runs nothing
    spec = importlib.util.spec_from_file_location("embed_key_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    monkeypatch.setenv("TEXTQL_API_KEY", LONG_LIVED)
    monkeypatch.setenv("TEXTQL_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("TEXTQL_EMBED_ROLE_IDS", raising=False)
    assert await example.main("acme", "jane@acme.example") == 2
    out, err = capsys.readouterr()
    assert "TEXTQL_EMBED_ROLE_IDS" in err and out == "" and LONG_LIVED not in err
