"""Benchmarks of textql-async against the other ways to consume Ana's event stream.

Run them all with ``make bench`` (or ``python -m benchmarks.run``); the results land in
``benchmarks/RESULTS.md`` and ``benchmarks/ratios.png``. Nothing here runs inside
``make test`` except the smoke tests in ``tests/benchmarks/``, which run every benchmark once
on a tiny size.
"""
