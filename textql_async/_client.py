"""AsyncTextQL: configuration, one pooled session, and the API groups as attributes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import aiohttp

from textql_async._config import RetryPolicy, Timeout, as_timeout, resolve_settings
from textql_async._logging import setup_logging
from textql_async._options import Hook, ResponseHook, hooks_tuple
from textql_async._otel import Telemetry
from textql_async._transport import Transport
from textql_async.resources._raw import RawClient
from textql_async.resources.ana import AnaResource
from textql_async.resources.api_keys import ApiKeysResource
from textql_async.resources.changes import ChangesResource
from textql_async.resources.chats import ChatsResource
from textql_async.resources.connectors import ConnectorsResource
from textql_async.resources.members import MembersResource, RolesResource
from textql_async.resources.models import ModelsResource
from textql_async.resources.partner import PartnerResource
from textql_async.resources.playbooks import PlaybooksResource
from textql_async.resources.sandcastles import SandcastlesResource
from textql_async.resources.v1 import V1Resource

__all__ = ["AsyncTextQL"]


class AsyncTextQL:
    """The asyncio TextQL client. Close it with ``async with`` (or :meth:`aclose`).

    Credentials come from the arguments or the environment (``TEXTQL_API_KEY``,
    ``TEXTQL_MEMBER_ID``, ``TEXTQL_BASE_URL``; default base URL
    ``https://app.textql.com``). ``/api/ana`` uses HTTP Basic auth
    (``member_id:api_key``) when a member id is known, else a Bearer token.

    Pass ``session=`` to share your own :class:`aiohttp.ClientSession`; the
    client then never closes it. ``max_retries`` retries connection errors and
    408/409/429/5xx with exponential backoff and full jitter (``retry_policy``
    sets the base and cap; its ``max_retries`` wins when given).

    The partner API (``client.partner``) has its own base URL and key:
    ``partner_base_url`` / ``TEXTQL_PARTNER_BASE_URL`` and ``partner_api_key`` /
    ``TEXTQL_PARTNER_API_KEY`` (falling back to the main key).

    Production options: ``default_headers`` go on every request; ``on_request`` /
    ``on_response`` are async hooks (one or a list) called for every attempt,
    retries included, with a :class:`~textql_async.RequestInfo` /
    :class:`~textql_async.ResponseInfo`; ``tracer_provider`` / ``meter_provider``
    replace the global OpenTelemetry providers (``otel`` extra) and
    ``propagate_trace=False`` stops sending W3C ``traceparent``. ``TEXTQL_LOG=debug``
    (or ``info``) logs requests to stderr with secrets redacted.
    """

    ana: AnaResource
    """Ana's own endpoint (``/api/ana``): ``ask``, ``stream``, ``batch``, chat history."""
    chats: ChatsResource
    """The v2 chat API: create, stream, list, cells, cancel."""
    models: ModelsResource
    """The v2 model list (``/v2/models``)."""
    connectors: ConnectorsResource
    """Database connectors: create, test, update, delete, access grants."""
    playbooks: PlaybooksResource
    """Playbooks: saved prompts Ana runs on a schedule or on demand, and their reports."""
    sandcastles: SandcastlesResource
    """Sandboxes that run code next to your data: code, shell, queries, files, ontology changes."""
    changes: ChangesResource
    """Proposed ontology library changes: list, read, approve, deny, restore."""
    members: MembersResource
    """The organization's members: invite, remove, assign and unassign roles."""
    roles: RolesResource
    """Roles: list, create, update (what members and API keys may do)."""
    api_keys: ApiKeysResource
    """Role-scoped API keys: mint, list, rotate, revoke, embed URLs."""
    v1: V1Resource
    """The v1 Connect-RPC chat API (``client.v1.chats``)."""
    partner: PartnerResource
    """The partner (Breadcrumb) API, with its own base URL and key."""

    def __init__(
        self,
        api_key: str | None = None,
        member_id: str | None = None,
        base_url: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        max_connections: int = 256,
        partner_api_key: str | None = None,
        partner_base_url: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        on_request: Hook | Sequence[Hook] | None = None,
        on_response: ResponseHook | Sequence[ResponseHook] | None = None,
        propagate_trace: bool = True,
        tracer_provider: Any = None,
        meter_provider: Any = None,
    ) -> None:
        self._settings = resolve_settings(
            api_key,
            member_id,
            base_url,
            timeout,
            max_retries,
            retry_policy=retry_policy,
            partner_api_key=partner_api_key,
            partner_base_url=partner_base_url,
        )
        transport = Transport(
            self._settings,
            session=session,
            max_connections=max_connections,
            default_headers=_headers(default_headers),
            on_request=hooks_tuple(on_request, "on_request"),
            on_response=hooks_tuple(on_response, "on_response"),
            telemetry=Telemetry(
                tracer_provider=tracer_provider,
                meter_provider=meter_provider,
                propagate=propagate_trace,
            ),
        )
        setup_logging(transport.secrets)
        self._bind(transport)

    def _bind(self, transport: Transport) -> None:
        self._transport = transport
        self.ana = AnaResource(self._transport)
        self.chats = ChatsResource(self._transport)
        self.models = ModelsResource(self._transport)
        self.connectors = ConnectorsResource(self._transport)
        self.playbooks = PlaybooksResource(self._transport)
        self.sandcastles = SandcastlesResource(self._transport)
        self.changes = ChangesResource(self._transport)
        self.members = MembersResource(self._transport)
        self.roles = RolesResource(self._transport)
        self.api_keys = ApiKeysResource(self._transport)
        self.v1 = V1Resource(self._transport)
        self.partner = PartnerResource(self._transport)

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> AsyncTextQL:
        """A copy with other defaults, sharing this client's connection pool (cheap: no I/O).

        ``await client.with_options(timeout=5, max_retries=0).chats.list()``

        ``default_headers`` are merged over this client's. Closing the copy does
        nothing; closing this client closes the pool for both.
        """
        settings = self._settings
        if timeout is not None:
            settings = dataclasses.replace(settings, timeout=as_timeout(timeout))
        if max_retries is not None:
            settings = dataclasses.replace(
                settings, retry=dataclasses.replace(settings.retry, max_retries=max_retries)
            )
        headers = None
        if default_headers is not None:
            headers = {**self._transport.default_headers, **_headers(default_headers)}
        copy = object.__new__(AsyncTextQL)
        copy._settings = settings
        copy._bind(self._transport.derive(settings, default_headers=headers))
        return copy

    @property
    def with_raw_response(self) -> RawClient:
        """The same API groups, whose methods return a :class:`~textql_async.RawResponse`.

        ``raw = await client.with_raw_response.chats.list()`` then ``raw.status_code``,
        ``raw.headers``, ``raw.request_id`` and ``raw.parsed``. Streams, pagers and
        batches are returned as they are (a stream has ``status_code``,
        ``response_headers`` and ``request_id`` once open). For a typed ``parsed``,
        use :func:`~textql_async.raw_response`.
        """
        return RawClient(self)

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._settings.base_url

    @property
    def member_id(self) -> str | None:
        """The member id used for Basic auth on ``/api/ana``, if any."""
        return self._settings.member_id

    @property
    def timeout(self) -> Timeout:
        """The default timeouts of every call."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries of a retryable failure."""
        return self._settings.retry.max_retries

    @property
    def is_closed(self) -> bool:
        """Whether the client was closed."""
        return self._transport.closed

    def __repr__(self) -> str:
        return (
            f"AsyncTextQL(base_url={self._settings.base_url!r}, "
            f"member_id={self._settings.member_id!r}, api_key='***')"
        )

    async def __aenter__(self) -> AsyncTextQL:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; open streams end with a clear error.

        On a copy from :meth:`with_options` this does nothing (the original owns the pool).
        """
        await self._transport.aclose()


def _headers(value: Mapping[str, str] | None) -> dict[str, str]:
    """Checked default headers: names and values are strings."""
    headers = dict(value or {})
    for name, item in headers.items():
        if not isinstance(name, str) or not isinstance(item, str):
            raise TypeError(f"headers must map str to str, got {name!r}: {item!r}")
    return headers
