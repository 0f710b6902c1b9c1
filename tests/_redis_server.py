"""A real ``redis-server`` for tests: Debian's package, installed with apt-get when missing.

Like the Chromium set-up of ``tests/examples/test_websocket_relay_browser.py``: on a machine
without ``redis-server`` the first test that needs it runs ``apt-get update && apt-get
install -y redis-server`` once (at collection, outside the per-test timeout), and the tests
skip with the reason when that cannot be done. Each server binds 127.0.0.1 on a free port
with no persistence (``--save '' --appendonly no``) in a temporary directory.

Fixtures (registered for every test by ``tests/conftest.py``):

- ``redis_server``: one server for the whole session; use a unique key prefix per test.
- ``redis_factory``: ``await redis_factory()`` starts a private server for a test that
  kills or restarts it; every server it started is stopped after the test.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from _apt import apt_install

REDIS_SERVER_NAMES = ("redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server")

_install_attempt: dict[str, str | None] = {}


def find_redis_server() -> str | None:
    """The redis-server executable, or None."""
    for name in REDIS_SERVER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _install() -> str | None:
    """Install Debian's redis-server with apt-get; the reason it cannot be done, or None."""
    return apt_install("redis-server")


def ensure_redis_server(*, skip: bool = True) -> str | None:
    """redis-server's path, installed once per test run if missing; else skip (or None)."""
    path = find_redis_server()
    if path is None:
        if "reason" not in _install_attempt:
            _install_attempt["reason"] = _install()
        path = find_redis_server()
        if path is None and skip:
            reason = _install_attempt["reason"] or "apt-get ran, but redis-server is still missing"
            pytest.skip(f"redis-server is missing and could not be installed: {reason}")
    return path


def _die_with_parent() -> None:
    """In the child: SIGKILL when the test process dies (Linux), so no server outlives it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process on 127.0.0.1; ``url`` for clients; stop, kill, restart."""

    def __init__(self, executable: str, port: int | None = None) -> None:
        self.executable = executable
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="textql-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start (again, on the same port) and wait until it answers PING."""
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir,
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not answer PING in time")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-command, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def needs_redis(items: list[pytest.Item]) -> bool:
    """Whether any collected test uses one of these fixtures."""
    return any(
        name in getattr(item, "fixturenames", ()) for item in items for name in FIXTURES
    )


FIXTURES = ("redis_server", "redis_factory")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server for the whole test session (use a unique key prefix per test)."""
    executable = ensure_redis_server()
    assert executable is not None
    server = RedisServer(executable)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_factory() -> Iterator[Callable[[], Awaitable[RedisServer]]]:
    """``await redis_factory()``: a private redis-server (to kill or restart), stopped after."""
    executable = ensure_redis_server()
    assert executable is not None
    started: list[RedisServer] = []

    async def make() -> RedisServer:
        server = RedisServer(executable)
        server.start()
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            server.close()
