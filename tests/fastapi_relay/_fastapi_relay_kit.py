"""Helpers for the FastAPI relay tests (imported by name, like the other kits): redis-server, FakeTextQL in its own process, uvicorn replicas.

Every process binds 127.0.0.1 on a free port, logs to a file under the test's tmp dir (shown
when it fails to start), and is waited for by polling its port or health route, never by
sleeping a fixed time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from functools import cache
from types import ModuleType
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "fastapi_relay" / "app.py"
FAKE = pathlib.Path(__file__).with_name("_fake_process.py")
START_TIMEOUT = 60.0  # a loaded 2-core machine can take a while to import FastAPI


@cache
def load(path: pathlib.Path, name: str) -> ModuleType:
    """A helper module loaded by path (``tests/`` is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def redis_kit() -> ModuleType:
    return load(ROOT / "tests" / "_redis_server.py", "_redis_server")  # tests/conftest.py's


def relay_app() -> ModuleType:
    return load(APP, "fastapi_relay_app")


def uvicorn_kit() -> ModuleType:
    return load(ROOT / "tests" / "_uvicorn.py", "_textql_uvicorn")


def free_port() -> int:
    return int(redis_kit().free_port())


def http_json(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
              timeout: float = 10.0) -> tuple[int, Any]:
    """A blocking JSON request (for polling and set-up); ``(status, decoded body)``."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def typed(blocks: list[dict[str, Any]]) -> list[Any]:
    """Wire JSON blocks as typed blocks: a missing optional field and ``null`` compare equal."""
    import msgspec

    from textql_async.models.ana import decode_block

    return [decode_block(msgspec.json.encode(block)) for block in blocks]


def fold_events(frames: list[Any]) -> list[dict[str, Any]]:
    """The blocks a reader ends with: the last snapshot, then each update's changed blocks."""
    blocks: list[dict[str, Any]] = []
    for frame in frames:
        data = frame.data
        if frame.event == "snapshot" or (frame.event in ("done", "error") and "blocks" in data):
            source = data.get("snapshot", data) if frame.event == "error" else data
            blocks = [dict(b) for b in source.get("blocks", [])]
        elif frame.event == "update":
            for item in data["blocks"]:
                index = item["index"]
                while len(blocks) <= index:
                    blocks.append({})
                blocks[index] = item["block"]
    return blocks


class SSE:
    """One parsed SSE frame (``seq`` is ``None`` for a frame without ``id:``)."""

    def __init__(self, seq: int | None, event: str, data: Any) -> None:
        self.seq, self.event, self.data = seq, event, data

    def __repr__(self) -> str:
        return f"SSE({self.seq}, {self.event!r})"


async def sse_frames(response: Any) -> Any:
    """Yield :class:`SSE` frames from an aiohttp response (comments and ``retry:`` skipped)."""
    fields: dict[str, str] = {}
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line:
            name, _, value = line.partition(":")
            if name:
                fields[name] = value[1:] if value.startswith(" ") else value
            continue
        if "event" in fields or "data" in fields:
            seq = int(fields["id"]) if "id" in fields else None
            yield SSE(seq, fields.get("event", "message"), json.loads(fields.get("data", "null")))
        fields = {}


class Process:
    """A child process with a log file, readiness polling, stop and SIGKILL."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: pathlib.Path) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            argv, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")

    def wait_ready(self, probe: Any, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.popen.returncode}:\n{self.output()}")
            try:
                if probe():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready within {timeout} s:\n{self.output()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process dies mid-whatever, its sockets closed by the kernel."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()


class FakeProcess(Process):
    """``_fake_process.py``: FakeTextQL on ``port`` plus its control app on ``control_port``."""

    def __init__(self, log_dir: pathlib.Path, event_delay: float) -> None:
        self.port, self.control_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.control = f"http://127.0.0.1:{self.control_port}"
        super().__init__(
            "FakeTextQL",
            [sys.executable, str(FAKE), str(self.port), str(self.control_port), str(event_delay)],
            {**os.environ, "PYTHONUNBUFFERED": "1"},
            log_dir / "fake.log",
        )
        self.wait_ready(lambda: "ready" in self.output())

    def requests(self) -> list[dict[str, Any]]:
        return list(http_json("GET", self.control + "/requests")[1])

    def chats(self) -> list[dict[str, Any]]:
        return list(http_json("GET", self.control + "/chats")[1])

    def asks(self, question: str) -> int:
        """How many ``GET /api/ana`` (the question itself, not the history) asked ``question``."""
        return sum(
            1 for r in self.requests()
            if r["path"] == "/api/ana" and r["query"].get("query") == question
        )


class Replica(Process):
    """``python examples/fastapi_relay/app.py`` (uvicorn inside) on a free ``PORT``."""

    def __init__(self, name: str, log_dir: pathlib.Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTQL_", "REDIS_"))}
        super().__init__(
            name,
            [sys.executable, str(APP)],
            {**base, "PORT": str(self.port), "PYTHONUNBUFFERED": "1", **env},
            log_dir / f"{name}.log",
        )

    def wait(self) -> Replica:
        """Poll ``/healthz`` until it answers (the lifespan opened the client and the relay)."""
        self.wait_ready(lambda: http_json("GET", self.url + "/healthz", timeout=2)[0] == 200)
        return self
