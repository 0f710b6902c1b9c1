"""Multipart bodies whose files stream from disk instead of being read into memory."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from typing import IO, Union

import aiohttp

__all__ = ["FileInput", "build_form"]

FileInput = Union[str, "os.PathLike[str]", tuple[str, bytes], IO[bytes]]
"""A path, a ``(name, bytes)`` pair, or a binary file object."""


def build_form(
    fields: Iterable[tuple[str, str]],
    files: Sequence[FileInput],
    *,
    field_name: str,
    stack: ExitStack,
    max_files: int | None = None,
) -> aiohttp.FormData:
    """A multipart form; paths are opened into ``stack`` (closed by the caller after sending)."""
    if max_files is not None and len(files) > max_files:
        raise ValueError(f"at most {max_files} files may be sent, got {len(files)}")
    form = aiohttp.FormData()
    for name, value in fields:
        form.add_field(name, value)
    for item in files:
        if isinstance(item, tuple):
            filename, content = item
            form.add_field(field_name, content, filename=filename)
        elif isinstance(item, (str, os.PathLike)):
            path = pathlib.Path(item)
            if not path.is_file():
                raise ValueError(f"not a file: {path}")
            handle = stack.enter_context(path.open("rb"))
            form.add_field(field_name, handle, filename=path.name)
        elif hasattr(item, "read"):
            filename = pathlib.Path(str(getattr(item, "name", "file"))).name
            form.add_field(field_name, item, filename=filename)
        else:
            raise TypeError(f"unsupported file input: {type(item).__name__}")
    return form
