"""Install a Debian package for the tests (``apt-get``), as the test set-up of a fresh machine.

Shared by the real-part fixtures (redis-server, Chromium): each calls :func:`apt_install`
once per test run when its program is missing, and skips with the returned reason when it
cannot be installed (no apt-get, not root).
"""

from __future__ import annotations

import os
import shutil
import subprocess


def apt_install(package: str) -> str | None:
    """``apt-get update && apt-get install -y package``; the reason it cannot be done, or None."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available (not a Debian-like system)"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return f"installing {package} needs root (run: apt-get install -y {package})"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
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
