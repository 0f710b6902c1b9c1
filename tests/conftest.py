"""Shared test configuration."""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
import aioresponses.core

# aioresponses 0.7.9 builds ClientResponse without the ``stream_writer`` argument that
# aiohttp 3.14 made required (pnuckowski/aioresponses#289). Supply it until a release does.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _NoWriter())
            super().__init__(method, url, **kwargs)

    class _NoWriter:
        output_size = 0

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]
