"""The fake server process and its counters, shared by the Dask batch tests and benchmark."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import urllib.request
from typing import Any

HERE = pathlib.Path(__file__).parent


class FakeProcess:
    """The fake server process: its URL and its counters."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/_fake/stats", timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result


def start_fake(event_delay: float, fail: list[str] | None = None) -> FakeProcess:
    command = [sys.executable, str(HERE / "fake_server.py"), "--event-delay", str(event_delay)]
    for question in fail or []:
        command += ["--fail", question]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("URL "):
        process.kill()
        raise RuntimeError(f"the fake server did not start: {line!r}")
    return FakeProcess(process, line.split()[1])


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
