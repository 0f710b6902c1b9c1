"""``python -m textql_async.cli``."""

import sys

from textql_async.cli._main import main

if __name__ == "__main__":
    sys.exit(main())
