"""A real ``redis-server`` for tests: Debian's package, installed with apt-get when missing.

``ensure_redis_server()`` returns the binary (installing it once per test run, like the
Chromium set-up of ``tests/examples/test_websocket_relay_browser.py``) or skips with the
reason; ``RedisServer`` runs it on a free loopback port with no persistence, in a temporary
directory, and stops it. Load this module by path (``tests/`` is not a package).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType

import pytest

REDIS_SERVER = "redis-server"
_install_attempt: dict[str, str | None] = {}


def _install() -> str | None:
    """Install Debian's redis-server with apt-get; the reason it cannot be done, or None."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available (not a Debian-like system)"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "installing redis-server needs root (run: apt-get install -y redis-server)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]  # another job may be installing at the same time
    for command in (
        ["apt-get", *lock, "update"],
        ["apt-get", *lock, "install", "-y", "--no-install-recommends", "redis-server"],
    ):
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=600, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(command)} failed: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            return f"{' '.join(command)} exited {done.returncode}: {tail[0]}"
    return None


def ensure_redis_server() -> str:
    """The ``redis-server`` binary, installed once per run if missing; else skip with the reason."""
    found = shutil.which(REDIS_SERVER) or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if found is None:
        if "reason" not in _install_attempt:
            _install_attempt["reason"] = _install()
        found = shutil.which(REDIS_SERVER) or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
        )
        if found is None:
            reason = _install_attempt["reason"] or "apt-get ran, but redis-server is still missing"
            pytest.skip(f"redis-server is missing and could not be installed: {reason}")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port; ``url`` is ``redis://127.0.0.1:PORT/0``."""

    def __init__(self, binary: str, *, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="textql-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start it (no RDB/AOF files, no protected mode) and wait until it answers PING."""
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir.name,
                "--protected-mode", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while not _ping(self.port):
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"redis-server exited {self._process.returncode}: {err}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer PING within {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate it (kill after 10 s) and remove its directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        self._dir.cleanup()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
