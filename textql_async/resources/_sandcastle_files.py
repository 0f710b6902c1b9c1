"""Sandbox files for ``client.sandcastles``: list, upload, download, delete.

Files never sit in memory whole: uploads stream from disk (multipart field
``file``), downloads stream chunk by chunk to a path or to the caller. A download's
response is closed when it ends, on error, on ``aclose()`` / leaving ``async with``,
when the iterator is dropped after an early ``break``, and when the client closes.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import os
import pathlib
import secrets
import weakref
from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, overload
from urllib.parse import quote

import aiohttp
import anyio

from textql_async._config import Timeout, as_timeout
from textql_async._exceptions import APIConnectionError, APITimeoutError
from textql_async._options import RequestOptions
from textql_async._transport import Transport
from textql_async.models.sandcastles import (
    SandboxFile,
    UploadedFile,
    files_decoder,
    success_decoder,
    uploaded_decoder,
)
from textql_async.resources._base import decode_response, require_text
from textql_async.resources._multipart import FileInput, build_form

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DOWNLOAD_CHUNK", "FilesMixin", "SandboxDownload", "file_path", "sandbox_path"]

DOWNLOAD_CHUNK = 64 * 1024


def sandbox_path(sandbox_id: str) -> str:
    """``/v2/sandcastles/{id}`` with the id quoted whole (a ``/`` in it cannot change the route)."""
    value = require_text("sandbox_id", sandbox_id)
    if value in (".", ".."):  # would be collapsed by URL normalization into another route
        raise ValueError(f"sandbox_id cannot be {value!r}")
    return "/v2/sandcastles/" + quote(value, safe="")


def file_path(path: str) -> str:
    """A file path within the working directory, quoted for ``/files/{path}`` with its ``/`` kept.

    The spec lets the path parameter hold slashes (``reports/q1.csv``). Empty, ``.`` and
    ``..`` segments are refused before any request: URL normalization would collapse them
    and send the request to another route (``files/../..`` is the sandbox itself).
    """
    value = require_text("path", path)
    if value.startswith("/"):
        raise ValueError(f"path must be relative to the sandbox working directory, got {path!r}")
    if any(segment in ("", ".", "..") for segment in value.split("/")):
        raise ValueError(f"path must not contain empty, '.' or '..' segments, got {path!r}")
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        raise ValueError("path must not contain control characters")
    return quote(value, safe="/")


class _Tracker:
    """What the transport holds for an open download: a weak link, so dropping it still closes it."""

    __slots__ = ("__weakref__", "_ref")

    def __init__(self, download: SandboxDownload) -> None:
        self._ref = weakref.ref(download)

    def close_by_client(self) -> None:
        download = self._ref()
        if download is not None:
            download._close(by_client=True)


class SandboxDownload:
    """The bytes of one sandbox file, streamed: ``async for chunk in download``.

    Chunks are at most ``chunk_size`` bytes. Use ``async with`` (or :meth:`aclose`) to
    drop the connection at once when you stop early; an iterator dropped after a
    ``break`` is closed then too. Each chunk must arrive within the read timeout.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        *,
        path: str,
        chunk_size: int,
        read_timeout: float | None,
        registry: Transport,
    ) -> None:
        self.path = path
        """The file's path in the sandbox."""
        self.content_type: str | None = response.headers.get("Content-Type")
        """The media type the server sent (``application/octet-stream`` per the spec)."""
        length = response.headers.get("Content-Length", "")
        self.size: int | None = int(length) if length.isdigit() else None
        """The size announced in ``Content-Length``, if any."""
        self.received = 0
        """Bytes received so far."""
        self.request_id: str | None = response.headers.get("X-Request-Id")
        """The response's ``X-Request-Id``, like every result of the SDK."""
        self._response: aiohttp.ClientResponse | None = response
        self._chunks = response.content.iter_chunked(chunk_size)
        self._read_timeout = read_timeout
        self._registry = registry
        self._complete = False
        self._closed_by_client = False
        self._tracker = _Tracker(self)
        registry.track(self._tracker)

    @property
    def closed(self) -> bool:
        """Whether the response is released (read to the end, or closed early)."""
        return self._response is None

    @property
    def complete(self) -> bool:
        """Whether the whole file arrived (the body was read to its end)."""
        return self._complete

    def __aiter__(self) -> SandboxDownload:
        return self

    async def __anext__(self) -> bytes:
        if self._response is None:
            if self._closed_by_client:
                raise APIConnectionError(f"the client was closed while downloading {self.path!r}")
            raise StopAsyncIteration
        try:
            with anyio.fail_after(self._read_timeout):
                chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._complete = True
            self._close(release=True)
            raise
        except TimeoutError as exc:
            self._close()
            raise APITimeoutError(
                f"downloading {self.path!r}: no data for {self._read_timeout} s"
            ) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self._close()
            if self._closed_by_client:
                raise APIConnectionError(
                    f"the client was closed while downloading {self.path!r}"
                ) from exc
            raise APIConnectionError(
                f"downloading {self.path!r} broke off after {self.received} bytes: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self.received += len(chunk)
        return chunk

    async def save(self, to: str | os.PathLike[str]) -> pathlib.Path:
        """Write the rest of the file to ``to`` and return that path.

        The bytes go to a temporary file beside it, renamed into place once complete, so
        a broken download never leaves a truncated file under the final name.

        ``async with await client.sandcastles.download(sid, "a.csv") as d: await d.save("a.csv")``
        """
        target = pathlib.Path(to)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            async with await anyio.open_file(partial, "wb") as out:
                async for chunk in self:
                    await out.write(chunk)
            if not self._complete:  # closed before the end: never pass a truncated file off
                raise APIConnectionError(
                    f"the download of {self.path!r} was closed before it ended"
                )
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        finally:
            self._close()
        return target

    async def aclose(self) -> None:
        """Close the response now (idempotent); iteration then ends."""
        self._close()

    async def __aenter__(self) -> SandboxDownload:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self, *, release: bool = False, by_client: bool = False) -> None:
        response, self._response = self._response, None
        if response is None:
            return
        self._closed_by_client = by_client
        if release:  # read to the end: the connection can go back to the pool
            response.release()
        else:
            response.close()
        self._registry.untrack(self._tracker)

    def __del__(self) -> None:
        # dropped while still open (a `break` out of `async for`): never leave the socket behind
        with contextlib.suppress(Exception):
            self._close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<SandboxDownload {self.path!r} {state} received={self.received}>"


class FilesMixin:
    """The file methods of :class:`~textql_async.resources.sandcastles.SandcastlesResource`."""

    _transport: Transport

    async def files(
        self,
        sandbox_id: str,
        path: str | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[SandboxFile]:
        """The entries of a directory of the working directory (non-recursive, no dotfiles).

        ``library/`` is the mounted Ontology.

        ``names = [f.name for f in await client.sandcastles.files(sid, "reports")]``
        """
        url = f"{sandbox_path(sandbox_id)}/files"
        if path is not None:
            require_text("path", path)
        response = await self._transport.request(
            "GET",
            url,
            params={"path": path},
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, files_decoder.decode).files

    async def upload(
        self,
        sandbox_id: str,
        file: FileInput,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> UploadedFile:
        """Upload one file into the working directory, streamed from disk (never read whole).

        ``file`` is a path, a ``(name, bytes)`` pair or a binary file object; it is stored
        under its basename. Not retried (a stream cannot be replayed).

        ``await client.sandcastles.upload(sid, "data/sales.csv")``
        """
        url = f"{sandbox_path(sandbox_id)}/files"
        if isinstance(file, (list, builtins.tuple)) and not _is_pair(file):
            raise TypeError("upload takes one file: a path, a (name, bytes) pair or a file object")
        with ExitStack() as stack:
            form = build_form((), [file], field_name="file", stack=stack)
            response = await self._transport.request(
                "POST",
                url,
                data=form,
                timeout=_timeout(timeout),
                idempotent=False,
                **options,
            )
        return decode_response(response, uploaded_decoder.decode)

    @overload
    async def download(
        self,
        sandbox_id: str,
        path: str,
        *,
        to: None = None,
        chunk_size: int = DOWNLOAD_CHUNK,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> SandboxDownload: ...

    @overload
    async def download(
        self,
        sandbox_id: str,
        path: str,
        *,
        to: str | os.PathLike[str],
        chunk_size: int = DOWNLOAD_CHUNK,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> pathlib.Path: ...

    async def download(
        self,
        sandbox_id: str,
        path: str,
        *,
        to: str | os.PathLike[str] | None = None,
        chunk_size: int = DOWNLOAD_CHUNK,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> SandboxDownload | pathlib.Path:
        """Stream a file's bytes to ``to``, or return them as an async iterator of chunks.

        ``to`` is a file path, or a directory to keep the file's name; the whole file is
        never held in memory. Errors (``NotFoundError``...) are raised here, before any
        byte is read. Without ``to``, iterate the returned :class:`SandboxDownload`
        (``async for chunk in await client.sandcastles.download(sid, "big.parquet")``).

        ``await client.sandcastles.download(sid, "out/report.csv", to="report.csv")``
        """
        url = f"{sandbox_path(sandbox_id)}/files/{file_path(path)}"
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError("chunk_size must be a positive int")
        target = _target(to, path) if to is not None else None
        t = _timeout(timeout) or self._transport.settings.timeout
        try:
            with anyio.fail_after(t.total):
                response = await self._transport.open(
                    "GET",
                    url,
                    headers={"Accept": "application/octet-stream, */*"},
                    timeout=t,
                    stream=True,
                    header_timeout=t.read,
                    **options,
                )
                download = SandboxDownload(
                    response,
                    path=path,
                    chunk_size=chunk_size,
                    read_timeout=t.read,
                    registry=self._transport,
                )
                if target is None:
                    return download
                return await download.save(target)
        except TimeoutError as exc:
            raise APITimeoutError(
                f"downloading {path!r} exceeded the total timeout of {t.total} s"
            ) from exc

    async def delete_file(
        self,
        sandbox_id: str,
        path: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> bool:
        """Remove one file (directories are refused: ``BadRequestError``); ``True`` on success.

        ``await client.sandcastles.delete_file(sid, "tmp/scratch.csv")``
        """
        url = f"{sandbox_path(sandbox_id)}/files/{file_path(path)}"
        response = await self._transport.request(
            "DELETE", url, timeout=_timeout(timeout), **options
        )
        return decode_response(response, success_decoder.decode).success


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, builtins.tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], (bytes, bytearray))
    )


def _target(to: str | os.PathLike[str], path: str) -> pathlib.Path:
    """Where a download goes: ``to`` itself, or the file's basename inside a directory ``to``."""
    if not isinstance(to, (str, os.PathLike)):
        raise TypeError(f"to must be a path, got {type(to).__name__}")
    target = pathlib.Path(to)
    if target.is_dir():
        target = target / pathlib.PurePosixPath(path).name
    if not target.parent.is_dir():
        raise ValueError(f"the directory of {str(target)!r} does not exist")
    return target


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
