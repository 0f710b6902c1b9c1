"""``TEXTQL_LOG=debug|info``: the ``textql_async`` logger to stderr, secrets redacted (like ``OPENAI_LOG``).

The SDK never logs a credential itself (headers are logged redacted); the handler's
filter is a second line: it masks ``Bearer``/``Basic`` tokens and the values of
``TEXTQL_API_KEY`` / ``TEXTQL_PARTNER_API_KEY`` wherever they appear in a record.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping

__all__ = ["ENV_LOG", "setup_logging"]

ENV_LOG = "TEXTQL_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_TOKEN = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")


class _RedactSecrets(logging.Filter):
    """Masks credentials in the rendered message of every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []

    def add(self, secrets: Iterable[str]) -> None:
        """Also mask ``secrets`` (a client's key, its Basic token...)."""
        known = set(self._secrets) | {s for s in secrets if len(s) >= 4}
        self._secrets = sorted(known, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = _TOKEN.sub(r"\1 ***", record.getMessage())
        for secret in self._secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        return True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`setup_logging` installs (recognised so it is installed once)."""


def setup_logging(secrets: Iterable[str] = (), env: Mapping[str, str] | None = None) -> bool:
    """Configure the ``textql_async`` logger from ``TEXTQL_LOG``; ``True`` if it did.

    Called by every new client with its credentials (masked from then on);
    idempotent. An unknown value is ignored (with a warning on stderr) rather than
    failing the client.
    """
    environ = os.environ if env is None else env
    value = environ.get(ENV_LOG, "").strip().lower()
    if not value:
        return False
    level = _LEVELS.get(value)
    logger = logging.getLogger("textql_async")
    if level is None:
        print(f"textql_async: ignoring {ENV_LOG}={value!r} (use debug or info)", file=sys.stderr)
        return False
    logger.setLevel(level)
    handler = next((h for h in logger.handlers if isinstance(h, _Handler)), None)
    if handler is None:
        handler = _Handler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        handler.addFilter(_RedactSecrets())
        logger.addHandler(handler)
    for existing in handler.filters:
        if isinstance(existing, _RedactSecrets):
            existing.add(
                [
                    *secrets,
                    environ.get("TEXTQL_API_KEY", ""),
                    environ.get("TEXTQL_PARTNER_API_KEY", ""),
                ]
            )
    return True
