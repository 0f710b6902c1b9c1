# Two entry points for a fresh machine with only python3 and pip: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo relay test lint typecheck pytest docs docs-check bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project metadata changes (idempotent second runs).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/textql-async demo

# The websocket relay (examples/websocket_relay/) on an embedded FakeTextQL; prints its URL.
# With TEXTQL_API_KEY set it asks TextQL instead. RELAY_PORT=0 picks a free port.
RELAY_PORT ?= 8080
relay: $(STAMP)
	$(BIN)/python examples/websocket_relay/app.py --port $(RELAY_PORT)

lint: $(STAMP)
	$(BIN)/ruff check textql_async tests examples $(wildcard benchmarks) docs/_build

typecheck: $(STAMP)
	$(BIN)/mypy --strict textql_async

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

# The API reference site (mkdocs-material + mkdocstrings) into site/; warnings are errors:
# a public name without a docstring or a broken cross-reference fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "docs: site/index.html"

docs-check: docs

test: lint typecheck docs-check pytest

# 10,000 asks with random faults through the fake server (a few minutes at most).
soak: $(STAMP)
	$(BIN)/python -m pytest tests/soak -m soak -s -q

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# The benchmark suite (a few minutes on 2 cores): writes benchmarks/RESULTS.md,
# benchmarks/results.json and the chart benchmarks/ratios.png.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache site
