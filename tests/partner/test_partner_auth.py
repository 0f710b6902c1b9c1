"""Partner API credentials and wire shape: X-API-Key on the partner base URL, env fallbacks, 403."""

from __future__ import annotations

import pytest
from _partner_kit import partner_calls, raw

from textql_async import AsyncTextQL, PermissionDeniedError
from textql_async._config import DEFAULT_PARTNER_BASE_URL, resolve_settings
from textql_async.testing import FakeTextQL

ENV_KEY = "TEXTQL_PARTNER_API_KEY"
ENV_URL = "TEXTQL_PARTNER_BASE_URL"


def _settings(env: dict[str, str], **kw: str | None) -> tuple[str, str]:
    s = resolve_settings(None, None, None, None, 0, env, **kw)  # type: ignore[arg-type]
    return s.partner_api_key, s.partner_base_url


def test_partner_key_and_url_come_from_the_environment() -> None:
    env = {"TEXTQL_API_KEY": "main", ENV_KEY: "partner", ENV_URL: "https://partner.example/v1/"}
    assert _settings(env) == ("partner", "https://partner.example/v1")


def test_partner_key_falls_back_to_the_main_key_and_url_to_the_default() -> None:
    assert _settings({"TEXTQL_API_KEY": "main"}) == ("main", DEFAULT_PARTNER_BASE_URL)
    assert DEFAULT_PARTNER_BASE_URL == "https://api.breadcrumb.ai/v1"


def test_partner_arguments_win_over_the_environment() -> None:
    env = {"TEXTQL_API_KEY": "main", ENV_KEY: "env-partner", ENV_URL: "https://env.example"}
    got = _settings(env, partner_api_key="arg", partner_base_url="https://arg.example")
    assert got == ("arg", "https://arg.example")


def test_partner_key_never_in_the_settings_repr() -> None:
    settings = resolve_settings("main-key-1234", None, None, None, 0, {}, partner_api_key="pk-5678")
    assert "pk-5678" not in repr(settings) and "main-key-1234" not in repr(settings)


async def test_env_configured_client_reaches_the_fake(
    fake: FakeTextQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_KEY, fake.partner_api_key)
    monkeypatch.setenv(ENV_URL, fake.partner_url)
    async with AsyncTextQL(api_key="main-key", base_url=fake.url) as client:
        assert await client.partner.spaces.list() == []
    assert fake.requests[-1].headers["X-API-Key"] == fake.partner_api_key


async def test_main_key_is_sent_when_no_partner_key_is_set(
    fake: FakeTextQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.setenv(ENV_URL, fake.partner_url)
    fake.partner_api_key = "shared-key"
    async with AsyncTextQL(api_key="shared-key", base_url=fake.url) as client:
        assert await client.partner.database_connectors.list() == []
    assert fake.requests[-1].headers["X-API-Key"] == "shared-key"


async def test_requests_carry_x_api_key_and_no_authorization(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    await client.partner.database_connectors.list()
    await client.partner.spaces.list()
    assert partner_calls(fake) == [
        ("GET", "/partner/sources/database-connectors"),
        ("GET", "/partner/spaces/by-partner"),
    ]
    for request in fake.requests:
        assert request.headers["X-API-Key"] == fake.partner_api_key
        assert "Authorization" not in request.headers


async def test_wrong_key_is_permission_denied_without_echoing_the_key(fake: FakeTextQL) -> None:
    async with fake.client(partner_api_key="wrong-partner-key") as client:
        with pytest.raises(PermissionDeniedError) as info:
            await client.partner.spaces.list()
    assert info.value.status == 403
    assert "Invalid API key" in str(info.value)
    assert "wrong-partner-key" not in str(info.value) + repr(info.value)
    assert len(fake.requests) == 1  # a 403 is not retried


async def test_fake_rejects_missing_and_bearer_only_credentials(fake: FakeTextQL) -> None:
    status, body, _ = await raw(fake, "GET", "/spaces/by-partner", key=None)
    assert (status, body) == (403, {"detail": "Not authenticated"})
    status, body, _ = await raw(fake, "GET", "/spaces/by-partner", key=fake.api_key)
    assert (status, body) == (403, {"detail": "Invalid API key"})


async def test_fake_answers_unknown_partner_paths_fastapi_style(fake: FakeTextQL) -> None:
    status, body, _ = await raw(fake, "GET", "/no/such/route")
    assert (status, body) == (404, {"detail": "Not Found"})
