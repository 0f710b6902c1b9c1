"""Request shape and error mapping, checked with aioresponses (no sockets)."""

from __future__ import annotations

import base64
import logging
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aioresponses import aioresponses

from textql_async import (
    APIError,
    AsyncTextQL,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from textql_async.testing import DOCS_EXAMPLE_STREAM

BASE = "http://textql.test"
ANA = re.compile(r"^http://textql\.test/api/ana\?.*$")
SSE = {"Content-Type": "text/event-stream"}


@pytest.fixture
def mocked():
    with aioresponses() as m:
        yield m


def _sent(mocked: aioresponses) -> list[tuple[str, str, dict]]:
    return [
        (method, str(url), call.kwargs)
        for (method, url), calls in mocked.requests.items()
        for call in calls
    ]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


async def test_basic_auth_when_member_id_set(mocked: aioresponses) -> None:
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    async with AsyncTextQL(api_key="key-1", member_id="member-9", base_url=BASE) as client:
        result = await client.ana.ask("hi")
    assert result.chat_id == "nahar-alpha-cd66081b89c5cd9b0c"
    (_, _, kwargs), = _sent(mocked)
    expected = "Basic " + base64.b64encode(b"member-9:key-1").decode()
    assert kwargs["headers"]["Authorization"] == expected


async def test_bearer_auth_without_member_id(mocked: aioresponses, monkeypatch) -> None:
    monkeypatch.delenv("TEXTQL_MEMBER_ID", raising=False)
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    async with AsyncTextQL(api_key="key-1", base_url=BASE) as client:
        await client.ana.ask("hi")
    (_, _, kwargs), = _sent(mocked)
    assert kwargs["headers"]["Authorization"] == "Bearer key-1"


async def test_query_parameters_on_the_wire(mocked: aioresponses) -> None:
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    question = "Größte Filiale? a+b & c #1 / 100%"
    async with AsyncTextQL(api_key="k", member_id="m", base_url=BASE) as client:
        await client.ana.ask(
            question, dataset="stores", use_ontology=True, ontology_connector_id=9, clifford=True
        )
    (method, _url, kwargs), = _sent(mocked)
    assert method == "GET"
    params = dict(kwargs["params"])
    assert params == {
        "query": question,
        "dataset": "stores",
        "useOntology": "true",
        "ontologyConnectorId": "9",
        "clifford": "true",
    }


async def test_booleans_default_false_and_none_dropped(mocked: aioresponses) -> None:
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    async with AsyncTextQL(api_key="k", member_id="m", base_url=BASE) as client:
        await client.ana.ask("q")
    (_, _, kwargs), = _sent(mocked)
    assert dict(kwargs["params"]) == {"query": "q", "useOntology": "false", "clifford": "false"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "q", "use_ontology": True}, "ontology_connector_id"),
        ({"query": "q", "ontology_connector_id": -1}, "negative"),
    ],
)
async def test_invalid_arguments_fail_before_any_request(
    mocked: aioresponses, kwargs: dict, message: str
) -> None:
    async with AsyncTextQL(api_key="k", member_id="m", base_url=BASE) as client:
        with pytest.raises(ValueError, match=message):
            client.ana.stream(**kwargs)
        with pytest.raises(ValueError, match=message):
            await client.ana.ask(**kwargs)
    assert _sent(mocked) == []


async def test_settings_from_environment(mocked: aioresponses, monkeypatch) -> None:
    monkeypatch.setenv("TEXTQL_API_KEY", "env-key")
    monkeypatch.setenv("TEXTQL_MEMBER_ID", "env-member")
    monkeypatch.setenv("TEXTQL_BASE_URL", BASE + "/")
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    async with AsyncTextQL() as client:
        assert client.base_url == BASE
        assert client.member_id == "env-member"
        await client.ana.ask("q")
    (_, url, kwargs), = _sent(mocked)
    assert url.startswith(BASE + "/api/ana")
    assert kwargs["headers"]["Authorization"] == "Basic " + base64.b64encode(
        b"env-member:env-key"
    ).decode()


def test_default_base_url(monkeypatch) -> None:
    monkeypatch.delenv("TEXTQL_BASE_URL", raising=False)
    client = AsyncTextQL(api_key="k")
    assert client.base_url == "https://app.textql.com"


def test_missing_key_is_a_configuration_error(monkeypatch) -> None:
    monkeypatch.delenv("TEXTQL_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="TEXTQL_API_KEY"):
        AsyncTextQL()


def test_repr_hides_the_key() -> None:
    client = AsyncTextQL(api_key="super-secret-key", member_id="m", base_url=BASE)
    assert "super-secret-key" not in repr(client)
    assert "super-secret-key" not in repr(client._settings)


async def test_401_is_authentication_error_with_server_message(mocked: aioresponses) -> None:
    mocked.get(
        ANA,
        status=401,
        payload={"error": {"code": "unauthenticated", "message": "invalid API key"}},
        headers={"x-request-id": "req-7"},
    )
    async with AsyncTextQL(api_key="secret-k", member_id="m", base_url=BASE) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.ana.ask("q")
    err = info.value
    assert err.status == 401
    assert err.code == "unauthenticated"
    assert "invalid API key" in str(err)
    assert err.request_id == "req-7"
    assert "secret-k" not in str(err)


async def test_error_message_never_echoes_the_key(mocked: aioresponses) -> None:
    mocked.get(ANA, status=403, payload={"error": {"message": "key secret-k123 is revoked"}})
    async with AsyncTextQL(api_key="secret-k123", base_url=BASE) as client:
        with pytest.raises(APIError) as info:
            await client.ana.ask("q")
    assert "secret-k123" not in str(info.value)


async def test_404_on_chat_messages(mocked: aioresponses) -> None:
    mocked.get(f"{BASE}/api/ana/nope", status=404, payload={"error": {"message": "no chat"}})
    async with AsyncTextQL(api_key="k", base_url=BASE) as client:
        with pytest.raises(NotFoundError, match="no chat"):
            await client.ana.chat_messages("nope")


async def test_429_carries_retry_after(mocked: aioresponses) -> None:
    mocked.get(ANA, status=429, body="slow down", headers={"Retry-After": "7"})
    async with AsyncTextQL(api_key="k", base_url=BASE, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            await client.ana.ask("q")
    assert info.value.retry_after == 7.0


async def test_html_error_page_is_a_server_error(mocked: aioresponses) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>oops</h1></body></html>"
    mocked.get(ANA, status=502, body=page, headers={"Content-Type": "text/html"})
    async with AsyncTextQL(api_key="k", base_url=BASE, max_retries=0) as client:
        with pytest.raises(ServerError, match="502 Bad Gateway") as info:
            await client.ana.ask("q")
    assert info.value.status == 502


async def test_html_page_with_status_200_is_an_api_error(mocked: aioresponses) -> None:
    page = "<html><head><title>Sign in</title></head></html>"
    mocked.get(ANA, status=200, body=page, headers={"Content-Type": "text/html"})
    async with AsyncTextQL(api_key="k", base_url=BASE) as client:
        with pytest.raises(APIError, match="text/event-stream") as info:
            await client.ana.ask("q")
    assert info.value.status == 200
    assert "Sign in" in str(info.value)


async def test_chat_summaries_decoded(mocked: aioresponses) -> None:
    mocked.get(
        f"{BASE}/api/ana/chat/summary",
        payload=[
            {
                "innerId": "chat-1",
                "innerVal": {
                    "id": "chat-1",
                    "orgId": "org",
                    "engine": '{"model": "x"}',
                    "summary": "Largest store",
                    "lastUserMessage": {"timestamp": "2024-03-25T04:00:49.116Z"},
                },
            }
        ],
    )
    async with AsyncTextQL(api_key="k", member_id="m", base_url=BASE) as client:
        (summary,) = await client.ana.chat_summaries()
    assert summary.inner_id == "chat-1"
    assert summary.inner_val.org_id == "org"
    assert summary.inner_val.engine_config == {"model": "x"}
    assert summary.inner_val.last_user_message is not None
    assert summary.inner_val.last_user_message.timestamp.year == 2024


async def test_chat_id_is_path_quoted(mocked: aioresponses) -> None:
    mocked.get(f"{BASE}/api/ana/a%2Fb", payload=[])
    async with AsyncTextQL(api_key="k", base_url=BASE) as client:
        assert await client.ana.chat_messages("a/b") == []


async def test_unexpected_json_is_an_api_error(mocked: aioresponses) -> None:
    mocked.get(f"{BASE}/api/ana/chat/summary", payload={"not": "a list"})
    async with AsyncTextQL(api_key="k", base_url=BASE) as client:
        with pytest.raises(APIError, match="unexpected response"):
            await client.ana.chat_summaries()


async def test_users_session_is_never_closed(mocked: aioresponses) -> None:
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    async with aiohttp.ClientSession() as session:
        async with AsyncTextQL(api_key="k", base_url=BASE, session=session) as client:
            await client.ana.ask("q")
        assert not session.closed


async def test_debug_log_redacts_credentials(mocked: aioresponses, caplog) -> None:
    mocked.get(ANA, body=DOCS_EXAMPLE_STREAM, headers=SSE)
    caplog.set_level(logging.DEBUG, logger="textql_async")
    async with AsyncTextQL(api_key="very-secret", member_id="m", base_url=BASE) as client:
        await client.ana.ask("q")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/ana" in text
    assert "very-secret" not in text
    assert base64.b64encode(b"m:very-secret").decode() not in text
