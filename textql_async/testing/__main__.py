"""``python -m textql_async.testing``: run the fake TextQL server."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from textql_async.testing._serve import serve_forever


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv`` and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m textql_async.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--member-id", default="test-member")
    parser.add_argument("--event-delay", type=float, default=0.0, help="seconds between events")
    args = parser.parse_args(argv)
    serve_forever(args.host, args.port, args.api_key, args.member_id, event_delay=args.event_delay)


if __name__ == "__main__":
    main()
