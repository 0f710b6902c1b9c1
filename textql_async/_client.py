"""AsyncTextQL: configuration, one pooled session, and the API groups as attributes."""

from __future__ import annotations

from types import TracebackType

import aiohttp

from textql_async._config import RetryPolicy, Timeout, resolve_settings
from textql_async._transport import Transport
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
        self._transport = Transport(
            self._settings, session=session, max_connections=max_connections
        )
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
        """Close the connection pool; open streams end with a clear error."""
        await self._transport.aclose()
