"""Files: list, upload streamed from disk, download streamed (to a path or as chunks), delete."""

from __future__ import annotations

import io
import os
import pathlib
from typing import Any

import pytest

from textql_async import (
    APIConnectionError,
    AsyncTextQL,
    BadRequestError,
    NotFoundError,
)
from textql_async.resources._sandcastle_files import SandboxDownload, file_path
from textql_async.testing import FakeTextQL
from textql_async.testing._v2_sandcastles_store import StoredSandbox

BIG = 5 * 1024 * 1024


def _names(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _big(tmp_path: pathlib.Path) -> tuple[pathlib.Path, bytes]:
    content = os.urandom(BIG)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    return path, content


class CountingReader(io.BufferedReader):
    """A binary file object that remembers how much each read asked for."""

    def __init__(self, path: pathlib.Path) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self.sizes: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)


async def test_upload_streams_a_large_file_from_disk(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox, tmp_path: pathlib.Path
) -> None:
    path, content = _big(tmp_path)
    uploaded = await client.sandcastles.upload(box.sandbox_id, path)
    assert (uploaded.filename, uploaded.size_bytes) == ("big.bin", BIG)
    assert box.read("big.bin") == content
    request = fake.requests[-1]
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert fake.sandcastles.file_routes.upload_parts[-1] > 1  # arrived in many chunks

    with CountingReader(path) as handle:
        again = await client.sandcastles.upload(box.sandbox_id, handle)
        assert handle.sizes and all(0 < s < BIG for s in handle.sizes)  # never read whole
    assert again.filename == "big.bin" and again.size_bytes == BIG


async def test_upload_takes_a_name_and_bytes_pair(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    uploaded = await client.sandcastles.upload(box.sandbox_id, ("sales.csv", b"region,revenue\n"))
    assert (uploaded.filename, uploaded.size_bytes) == ("sales.csv", 15)
    listed = await client.sandcastles.files(box.sandbox_id)
    assert [(f.name, f.size_bytes, f.is_dir) for f in listed] == [("sales.csv", 15, False)]
    assert listed[0].modified_at is not None


@pytest.mark.parametrize(
    ("file", "error"),
    [
        ("missing.csv", ValueError),
        ([("a.csv", b"x")], TypeError),
        (("a.csv", b"x", b"y"), TypeError),
        (42, TypeError),
    ],
)
async def test_upload_arguments_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox, file: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.sandcastles.upload(box.sandbox_id, file)
    assert fake.requests == []


async def test_download_streams_to_a_path(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox, tmp_path: pathlib.Path
) -> None:
    content = os.urandom(BIG)
    box.write("out/report.bin", content)
    written = await client.sandcastles.download(
        box.sandbox_id, "out/report.bin", to=tmp_path / "r.bin"
    )
    assert written == tmp_path / "r.bin"
    assert written.read_bytes() == content
    into_dir = await client.sandcastles.download(box.sandbox_id, "out/report.bin", to=tmp_path)
    assert into_dir == tmp_path / "report.bin" and into_dir.read_bytes() == content
    assert _names(tmp_path) == ["r.bin", "report.bin"]  # no leftovers
    assert fake.requests[-1].path == f"/v2/sandcastles/{box.sandbox_id}/files/out/report.bin"
    assert fake.sandcastles.file_routes.active_downloads == 0


async def test_download_as_an_async_byte_iterator(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    content = os.urandom(BIG)
    box.write("big.bin", content)
    download = await client.sandcastles.download(box.sandbox_id, "big.bin", chunk_size=32 * 1024)
    assert isinstance(download, SandboxDownload)
    assert (download.content_type, download.size) == ("application/octet-stream", BIG)
    assert download.request_id is not None and download.request_id.startswith("req_fake_")
    chunks = [chunk async for chunk in download]
    assert b"".join(chunks) == content
    assert max(len(c) for c in chunks) <= 32 * 1024 and len(chunks) >= BIG // (32 * 1024)
    assert download.closed and download.complete and download.received == BIG
    # read to the end: the connection went back to the pool and is reused
    await client.sandcastles.files(box.sandbox_id)
    assert fake.total_connections == 1


async def test_breaking_out_early_closes_the_response(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    box.write("big.bin", os.urandom(BIG))
    async for chunk in await client.sandcastles.download(box.sandbox_id, "big.bin"):
        assert chunk
        break
    # the dropped iterator closed its response: the server's transfer was cut
    await fake.wait_for_disconnects()
    assert fake.sandcastles.file_routes.active_downloads == 0


async def test_leaving_async_with_early_closes_the_response(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox, tmp_path: pathlib.Path
) -> None:
    box.write("big.bin", os.urandom(BIG))
    async with await client.sandcastles.download(box.sandbox_id, "big.bin") as download:
        first = await download.__anext__()
        assert first and not download.closed
    assert download.closed and download.received < BIG
    assert [chunk async for chunk in download] == []  # closed by us: iteration just ends
    assert not download.complete
    with pytest.raises(APIConnectionError, match="closed before it ended"):
        await download.save(tmp_path / "big.bin")  # never a truncated file
    assert _names(tmp_path) == []
    await fake.wait_for_disconnects()


async def test_closing_the_client_ends_an_open_download(
    fake: FakeTextQL, box: StoredSandbox
) -> None:
    box.write("big.bin", os.urandom(BIG))
    client = fake.client(max_retries=0)
    download = await client.sandcastles.download(box.sandbox_id, "big.bin")
    await download.__anext__()
    await client.aclose()
    assert download.closed
    with pytest.raises(APIConnectionError, match="client was closed"):
        await download.__anext__()
    await fake.wait_for_disconnects()


async def test_a_broken_transfer_raises_and_leaves_no_partial_file(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox, tmp_path: pathlib.Path
) -> None:
    box.write("big.bin", os.urandom(BIG))
    fake.sandcastles.file_routes.cut_downloads_after = 1024 * 1024
    with pytest.raises(APIConnectionError, match="broke off"):
        await client.sandcastles.download(box.sandbox_id, "big.bin", to=tmp_path / "big.bin")
    assert _names(tmp_path) == []


async def test_download_errors_are_raised_before_any_byte(
    client: AsyncTextQL, box: StoredSandbox, tmp_path: pathlib.Path
) -> None:
    box.write("reports/q1.csv", b"x")
    with pytest.raises(NotFoundError):
        await client.sandcastles.download(box.sandbox_id, "nope.csv")
    with pytest.raises(NotFoundError):
        await client.sandcastles.download(box.sandbox_id, "nope.csv", to=tmp_path / "nope.csv")
    assert _names(tmp_path) == []
    with pytest.raises(BadRequestError, match="directory"):
        await client.sandcastles.download(box.sandbox_id, "reports")
    with pytest.raises(BadRequestError, match="hidden"):
        await client.sandcastles.download(box.sandbox_id, ".env")


async def test_paths_with_special_characters_round_trip(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    name = "dir with space/ünï #1?%.csv"
    box.write(name, b"payload")
    download = await client.sandcastles.download(box.sandbox_id, name)
    assert [chunk async for chunk in download] == [b"payload"]
    assert fake.requests[-1].path == f"/v2/sandcastles/{box.sandbox_id}/files/{name}"
    assert await client.sandcastles.delete_file(box.sandbox_id, name) is True
    assert box.read(name) is None


def test_file_paths_are_quoted_with_their_slashes_kept() -> None:
    assert file_path("reports/q1 final.csv") == "reports/q1%20final.csv"
    assert file_path("a#b?c%d.txt") == "a%23b%3Fc%25d.txt"
    assert file_path("library/ünï.tql") == "library/%C3%BCn%C3%AF.tql"


BAD_PATHS: list[tuple[Any, type[Exception]]] = [
    ("", ValueError),
    ("/etc/passwd", ValueError),
    ("../secrets", ValueError),
    ("a/../../b", ValueError),
    ("a//b", ValueError),
    ("./a", ValueError),
    ("dir/", ValueError),
    ("a\nb", ValueError),
    (None, TypeError),
    (b"a.csv", TypeError),
]


@pytest.mark.parametrize(("bad", "error"), BAD_PATHS)
async def test_file_paths_are_checked_before_any_request(
    fake: FakeTextQL,
    client: AsyncTextQL,
    box: StoredSandbox,
    tmp_path: pathlib.Path,
    bad: Any,
    error: type[Exception],
) -> None:
    with pytest.raises(error, match="path"):
        await client.sandcastles.download(box.sandbox_id, bad)
    with pytest.raises(error, match="path"):
        await client.sandcastles.download(box.sandbox_id, bad, to=tmp_path)
    with pytest.raises(error, match="path"):
        await client.sandcastles.delete_file(box.sandbox_id, bad)
    assert fake.requests == []


async def test_download_options_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox, tmp_path: pathlib.Path
) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        await client.sandcastles.download(box.sandbox_id, "a.csv", chunk_size=0)
    with pytest.raises(ValueError, match="does not exist"):
        await client.sandcastles.download(box.sandbox_id, "a.csv", to=tmp_path / "no" / "a.csv")
    with pytest.raises(TypeError, match="to must be a path"):
        await client.sandcastles.download(box.sandbox_id, "a.csv", to=3)  # type: ignore[call-overload]
    assert fake.requests == []


async def test_list_subdirectories_and_hidden_files(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    box.write("reports/q1.csv", b"12345")
    box.write("reports/2024/q4.csv", b"1")
    box.write(".state", b"internal")
    box.write("reports/.cache", b"internal")
    root = await client.sandcastles.files(box.sandbox_id)
    assert [(f.name, f.is_dir) for f in root] == [("reports", True)]
    inner = await client.sandcastles.files(box.sandbox_id, "reports")
    assert [(f.name, f.is_dir, f.size_bytes) for f in inner] == [
        ("2024", True, 0),
        ("q1.csv", False, 5),
    ]
    assert fake.requests[-1].query == {"path": "reports"}
    with pytest.raises(NotFoundError):
        await client.sandcastles.files(box.sandbox_id, "missing")
    with pytest.raises(BadRequestError):
        await client.sandcastles.files(box.sandbox_id, "../outside")
    with pytest.raises(ValueError):
        await client.sandcastles.files(box.sandbox_id, "")


async def test_delete_file(fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox) -> None:
    box.write("tmp/scratch.csv", b"x")
    assert await client.sandcastles.delete_file(box.sandbox_id, "tmp/scratch.csv") is True
    assert fake.requests[-1].method == "DELETE"
    assert box.read("tmp/scratch.csv") is None
    with pytest.raises(NotFoundError):
        await client.sandcastles.delete_file(box.sandbox_id, "tmp/scratch.csv")
    box.write("keep/a.csv", b"x")
    with pytest.raises(BadRequestError, match="directory"):
        await client.sandcastles.delete_file(box.sandbox_id, "keep")
    assert box.read("keep/a.csv") == b"x"
