"""``client.models``: the models a chat may run on (``GET /v2/models``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textql_async._config import Timeout, as_timeout
from textql_async._options import RequestOptions
from textql_async._transport import Transport
from textql_async.models.v2_chats import Model, models_decoder
from textql_async.resources._base import Resource, decode_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ModelsResource"]


class ModelsResource(Resource, family="models"):
    """The models the caller may pass as ``model=`` to ``client.chats.create``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> list[Model]:
        """Every model this key may use; ``default`` marks the organization's default.

        ``ids = [m.id for m in await client.models.list()]``
        """
        response = await self._transport.request(
            "GET",
            "/v2/models",
            timeout=as_timeout(timeout) if timeout is not None else None,
            **options,
        )
        return decode_response(response, models_decoder.decode).models
