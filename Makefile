# Two entry points for a fresh machine with only python3 and pip: `make demo`, `make test`.
# Both install the dev tool chain from the committed lock (requirements/dev.lock), so one
# commit installs the same versions on every machine. `make lock` refreshes the lock.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
LOCK   := requirements/dev.lock
# The constraints every install uses; `make test-latest` empties it, `make test-min` swaps it.
CONSTRAINTS ?= -c $(LOCK)
PIP_VERSION := 26.3
UV_VERSION  := 0.13.9
EXTRAS ?= dev
STAMP   = $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma  := ,

.PHONY: demo relay relay-fastapi test lint typecheck pytest docs docs-check bench bench-relay soak lock dist test-latest \
	test-min test-pythons clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the metadata or the lock change (idempotent second runs).
$(VENV)/.installed-%: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet $(PIP_FLAGS) $(CONSTRAINTS) -e '.[$(EXTRAS)]'
	$(MAKE) accel VENV=$(VENV)
	touch $@

install: $(STAMP)
.PHONY: install

# The optional compiled sans-IO core: a mypyc build of textql_async/sansio/{slots,sse,fold,
# chunked}.py plus textql_async/sansio/_frame.c (a C copy of one framing step) into
# textql_async/_speedups/ (gitignored), used when it imports and matches
# the sources (else, or with TEXTQL_ASYNC_PURE=1, the pure-Python core). Rebuilt when a
# source changes; without a C compiler or Python headers it prints one line and succeeds.
SPEEDUP_SOURCES := $(addprefix textql_async/sansio/,slots.py sse.py fold.py chunked.py _frame.c) \
	tools/build_speedups.py
$(VENV)/.accel: $(SPEEDUP_SOURCES) | $(BIN)/python
	@$(BIN)/python tools/build_speedups.py
	@touch $@

accel: $(VENV)/.accel
.PHONY: accel

demo: $(STAMP) accel
	$(BIN)/textql-async demo

# The websocket relay (examples/websocket_relay/) on an embedded FakeTextQL; prints its URL.
# With TEXTQL_API_KEY set it asks TextQL instead. RELAY_PORT=0 picks a free port.
RELAY_PORT ?= 8080
relay: $(STAMP)
	$(BIN)/python examples/websocket_relay/app.py --port $(RELAY_PORT)

# The FastAPI relay (examples/fastapi_relay/): resumable answers over SSE, uvicorn on PORT.
# REDIS_URL=redis://... shares answers between replicas; TEXTQL_API_KEY asks TextQL instead
# of the embedded FakeTextQL.
PORT ?= 8000
relay-fastapi: $(STAMP)
	PORT=$(PORT) $(BIN)/python examples/fastapi_relay/app.py

lint: $(STAMP)
	$(BIN)/ruff check textql_async tests examples $(wildcard benchmarks) docs/_build

typecheck: $(STAMP)
	$(BIN)/mypy --strict textql_async

pytest: $(STAMP) accel
	$(BIN)/python -m pytest -q

# The API reference site (mkdocs-material + mkdocstrings) into site/; warnings are errors:
# a public name without a docstring or a broken cross-reference fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "docs: site/index.html"

docs-check: docs

test: lint typecheck docs-check pytest

# The same gates on the newest release of everything (no lock), in a venv of its own.
test-latest:
	rm -f .venv-latest/.installed-*
	$(MAKE) test VENV=.venv-latest CONSTRAINTS= PIP_FLAGS="--upgrade --upgrade-strategy eager"

# The lowest versions pyproject.toml allows for the runtime dependencies, on the oldest
# supported Python (the dev tools are their newest releases that accept those floors).
test-min:
	$(MAKE) typecheck pytest VENV=.venv-min PYTHON=$$(tools/find_python 3.10) \
		CONSTRAINTS="-c requirements/min.txt"

# The whole suite on every CPython 3.10-3.13 this machine has (locked versions).
PYTHONS ?= 3.10 3.11 3.12 3.13
test-pythons:
	set -e; for v in $(PYTHONS); do \
		if py=$$(tools/find_python $$v); then \
			echo "== Python $$v ($$py)"; $(MAKE) pytest VENV=.venv-py$$v PYTHON=$$py; \
		else echo "== Python $$v: not on this machine"; fi; \
	done

# Refresh the lock: the newest versions of every extra that still satisfy pyproject.toml,
# resolved for every supported Python (--universal). Commit the result.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.10 --all-extras \
		--upgrade --quiet -o $(LOCK)

# The wheel and the sdist in dist/, built with the locked hatchling.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

# 10,000 asks with random faults through the fake server (a few minutes at most).
soak: $(STAMP)
	$(BIN)/python -m pytest tests/soak -m soak -s -q

# The benchmark suite (a few minutes on 2 cores): writes benchmarks/RESULTS.md,
# benchmarks/results.json and the chart benchmarks/ratios.png.
bench:
	$(MAKE) $(VENV)/.installed-dev-bench EXTRAS=dev,bench
	$(MAKE) accel
	$(BIN)/python -m benchmarks.run

# 500 SSE readers on 20 answers over two FastAPI replicas on a real redis-server (about a
# minute); writes the relay section of benchmarks/RESULTS.md and benchmarks/relay_load.json.
bench-relay: $(STAMP)
	$(BIN)/python -m benchmarks.relay_load

clean:
	rm -rf $(VENV) .venv-latest .venv-min .venv-py3.* dist site .mypy_cache .pytest_cache .ruff_cache \
		textql_async/_speedups build/speedups
