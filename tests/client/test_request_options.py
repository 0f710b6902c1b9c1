"""Request options, raw responses and request ids on every resource family.

Each family gets one call through ``extra_headers`` / ``extra_query`` / ``extra_body``
and through ``client.with_raw_response``; the fake records what arrived.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from textql_async import (
    AsyncTextQL,
    NotFoundError,
    RawResponse,
    RequestInfo,
    ResponseInfo,
    RetryPolicy,
    Timeout,
    raw_response,
)
from textql_async.testing import FakeTextQL, HTTPError

Call = Callable[[Any], Awaitable[Any]]

# family -> (a call taking the (raw or plain) API group root, the path it requests)
FAMILIES: dict[str, tuple[Callable[..., Any], str]] = {
    "ana": (lambda c, **o: c.ana.chat_summaries(**o), "/api/ana/chat/summary"),
    "chats": (lambda c, **o: c.chats.list(**o), "/v2/chats"),
    "models": (lambda c, **o: c.models.list(**o), "/v2/models"),
    "connectors": (lambda c, **o: c.connectors.list(**o), "/v2/connectors"),
    "v1": (lambda c, **o: c.v1.chats.list(**o), "/v1/chat/list"),
    "partner": (lambda c, **o: c.partner.spaces.list(**o), "/partner/spaces/by-partner"),
    "playbooks": (lambda c, **o: c.playbooks.list(**o), "/v2/playbooks"),
    "sandcastles": (lambda c, **o: c.sandcastles.list(**o), "/v2/sandcastles"),
    "changes": (lambda c, **o: c.changes.list(**o), "/v2/changes"),
    "members": (lambda c, **o: c.members.list(**o), "/v2/members"),
    "roles": (lambda c, **o: c.roles.list(**o), "/v2/roles"),
    "api_keys": (lambda c, **o: c.api_keys.list(**o), "/v2/api-keys"),
}


def _last(fake: FakeTextQL, path: str) -> Any:
    matching = [r for r in fake.requests if r.path.endswith(path)]
    assert matching, [r.path for r in fake.requests]
    return matching[-1]


def _with_id(result: Any) -> Any:
    """The object that carries the request id: the result, or a list's first element."""
    return result[0] if isinstance(result, list) else result


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_extra_headers_query_and_body_reach_the_server(family: str) -> None:
    call, path = FAMILIES[family]
    async with FakeTextQL() as fake, fake.client() as client:
        await call(
            client,
            extra_headers={"X-Feature": "beta", "X-Family": family},
            extra_query={"x_debug": "1", "flag": True},
            extra_body={"future_field": [1, 2]},
        )
    sent = _last(fake, path)
    assert sent.headers["X-Feature"] == "beta"
    assert sent.headers["X-Family"] == family
    assert sent.query["x_debug"] == "1"
    assert sent.query["flag"] == "true"
    assert json.loads(sent.body)["future_field"] == [1, 2]


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_raw_response_on_every_family(family: str) -> None:
    call, path = FAMILIES[family]
    async with FakeTextQL() as fake, fake.client() as client:
        raw = await call(client.with_raw_response)
        plain = await call(client)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.request_id is not None and raw.request_id.startswith("req_fake_")
    assert raw.headers["x-request-id"] == raw.request_id  # case-insensitive headers
    assert raw.parse() is raw.parsed
    assert type(raw.parsed) is type(plain)
    if raw.parsed:  # an empty list has nothing to carry it
        assert _with_id(raw.parsed).request_id == raw.request_id
    if plain:
        assert _with_id(plain).request_id not in (None, raw.request_id)
    assert _last(fake, path)


async def test_raw_response_function_is_typed_and_carries_the_request_id() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        raw = await raw_response(client.ana.ask("Which store?"))
        page = await client.chats.list()
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.parsed.answer and raw.parsed.request_id == raw.request_id
    assert page.request_id is not None
    # a page's items carry it too
    assert all(chat.request_id == page.request_id for chat in page.chats)


async def test_raw_response_of_something_that_is_not_a_call() -> None:
    async def nothing() -> int:
        return 1

    with pytest.raises(TypeError, match="sent no request"):
        await raw_response(nothing())


async def test_raw_response_errors_raise_as_usual() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(NotFoundError) as caught:
            await client.with_raw_response.chats.get("missing")
    assert caught.value.request_id is not None


async def test_with_raw_response_returns_streams_and_pagers_unchanged() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with client.with_raw_response.ana.stream("Which store?") as stream:
            final = await stream.final()
            assert final.request_id == stream.request_id
            assert stream.status_code == 200
            assert stream.request_id is not None and stream.request_id.startswith("req_fake_")
        items = [c async for c in client.with_raw_response.chats.iter()]
        assert isinstance(items, list)
        with pytest.raises(AttributeError):
            _ = client.with_raw_response.base_url


async def test_a_chat_stream_result_carries_the_request_id() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with client.chats.stream("Top customers?") as stream:
            result = await stream.final()
    assert result.request_id is not None and result.request_id == stream.request_id


async def test_a_model_built_by_hand_has_no_request_id() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        (model, *_) = await client.models.list()
    assert model.request_id is not None
    assert type(model)(**{f: getattr(model, f) for f in model.__struct_fields__}).request_id is None
    assert model == type(model)(**{f: getattr(model, f) for f in model.__struct_fields__})


async def test_extra_query_replaces_a_parameter_and_extra_headers_win() -> None:
    async with FakeTextQL() as fake, fake.client(default_headers={"X-Team": "a"}) as client:
        await client.chats.list(limit=5, extra_query={"limit": 7}, extra_headers={"X-Team": "b"})
    sent = _last(fake, "/v2/chats")
    assert sent.query["limit"] == "7"
    assert sent.headers.getall("X-Team") == ["b"]


async def test_extra_body_merges_over_the_json_body() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        await client.chats.create("Revenue?", extra_body={"experimental": {"a": 1}})
    body = json.loads(_last(fake, "/v2/chats").body)
    assert body == {"question": "Revenue?", "experimental": {"a": 1}}


async def test_extra_body_on_a_multipart_upload_is_a_type_error(tmp_path: Any) -> None:
    file = tmp_path / "a.csv"
    file.write_text("x\n1\n")
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(TypeError, match="multipart"):
            await client.chats.create("Read it", files=[file], extra_body={"x": 1})
    assert not [r for r in fake.requests if r.path == "/v2/chats"]


async def test_pagers_and_streams_take_request_options() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        [c async for c in client.chats.iter(extra_headers={"X-Pager": "1"})]
        async with client.ana.stream("Which store?", extra_query={"trace": "on"}) as stream:
            await stream.final()
        await client.ana.ask("Which store?", extra_headers={"X-Ask": "1"})
    assert _last(fake, "/v2/chats").headers["X-Pager"] == "1"
    ana = [r for r in fake.requests if r.path == "/api/ana"]
    assert ana[0].query["trace"] == "on"
    assert ana[1].headers["X-Ask"] == "1"


# -- with_options -----------------------------------------------------------------------------


async def test_with_options_is_a_cheap_copy_sharing_the_pool() -> None:
    async with FakeTextQL() as fake, fake.client(default_headers={"X-App": "svc"}) as client:
        await client.models.list()
        copy = client.with_options(timeout=7, max_retries=0, default_headers={"X-Tenant": "t1"})
        assert copy.timeout == Timeout(read=7.0, idle=7.0)
        assert copy.max_retries == 0 and client.max_retries == 2
        assert copy.base_url == client.base_url
        await copy.models.list()
        sent = fake.requests[-1].headers
        assert (sent["X-App"], sent["X-Tenant"]) == ("svc", "t1")
        assert "X-Tenant" not in fake.requests[0].headers
        assert fake.total_connections == 1  # the same pooled connection
        await copy.aclose()  # a no-op: the original owns the pool
        assert not client.is_closed
        await client.models.list()
    assert copy.is_closed  # closing the original closed the copy's pool too


async def test_with_options_max_retries_applies() -> None:
    async with (
        FakeTextQL() as fake,
        fake.client(retry_policy=RetryPolicy(max_retries=3, base=0.01, cap=0.02)) as client,
    ):
        fake.inject(HTTPError(503), times=5)
        with pytest.raises(Exception, match="503"):
            await client.with_options(max_retries=0).models.list()
        assert len(fake.requests) == 1
        fake.clear_faults()


async def test_with_options_rejects_bad_headers() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(TypeError):
            client.with_options(default_headers={"X-N": 1})  # type: ignore[dict-item]


# -- event hooks ------------------------------------------------------------------------------


async def test_hooks_are_called_for_every_attempt() -> None:
    requests: list[RequestInfo] = []
    responses: list[ResponseInfo] = []

    async def on_request(info: RequestInfo) -> None:
        requests.append(info)

    async def on_response(info: ResponseInfo) -> None:
        responses.append(info)

    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503), times=1, path="/v2/models")
        async with fake.client(
            on_request=on_request,
            on_response=[on_response],
            retry_policy=RetryPolicy(max_retries=2, base=0.01, cap=0.02),
        ) as client:
            await client.models.list()
        url = fake.url
    assert [(r.method, r.attempt, r.operation) for r in requests] == [
        ("GET", 0, "models.list"),
        ("GET", 1, "models.list"),
    ]
    assert requests[0].url == f"{url}/v2/models"
    assert requests[0].headers["Authorization"] == "<redacted>"  # never the key
    assert [r.status for r in responses] == [503, 200]
    assert responses[1].request is requests[1]
    assert responses[0].request_id != responses[1].request_id
    assert str(responses[1].request_id).startswith("req_fake_")
    assert all(r.elapsed >= 0 for r in responses)


async def test_a_failing_hook_fails_the_call_and_leaks_nothing() -> None:
    async def on_response(info: ResponseInfo) -> None:
        raise RuntimeError("audit log down")

    async with FakeTextQL() as fake, fake.client(on_response=on_response) as client:
        with pytest.raises(RuntimeError, match="audit log down"):
            await client.models.list()


def test_a_hook_that_is_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="on_request"):
        AsyncTextQL(api_key="k", on_request="print")  # type: ignore[arg-type]
