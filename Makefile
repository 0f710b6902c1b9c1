# Two entry points for a fresh machine with only python3 and pip: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo relay relay-fastapi test lint typecheck pytest bench bench-relay soak clean

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

# The FastAPI relay (examples/fastapi_relay/): resumable answers over SSE, uvicorn on PORT.
# REDIS_URL=redis://... shares answers between replicas; TEXTQL_API_KEY asks TextQL instead
# of the embedded FakeTextQL.
PORT ?= 8000
relay-fastapi: $(STAMP)
	PORT=$(PORT) $(BIN)/python examples/fastapi_relay/app.py

lint: $(STAMP)
	$(BIN)/ruff check textql_async tests examples $(wildcard benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy --strict textql_async

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

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

# 500 SSE readers on 20 answers over two FastAPI replicas on a real redis-server (about a
# minute); writes the relay section of benchmarks/RESULTS.md and benchmarks/relay_load.json.
bench-relay: $(STAMP)
	$(BIN)/python -m benchmarks.relay_load

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
