# msgboxx: `make run` starts the service, `make test` runs every test, `make bench` measures.
# Both create the virtual environment (.venv) from pinned versions first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint typecheck bench clean chromium

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/msgboxx serve

# PostgreSQL for the second pass (and for the multi-process tests of the first).
TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

test: lint typecheck test-sqlite test-postgres

# The browser test of /docs drives Debian's Chromium: Playwright downloads no browser here.
# Where it cannot be installed (no root), the test skips, except under CI=true.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; } \
	  || [ "$$CI" != true ] || { echo "chromium is needed for the browser tests" >&2; exit 1; }

test-sqlite: $(STAMP) chromium
	MSGBOXX_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest

# The whole suite again with PostgreSQL as the store. Without a reachable server it
# skips with the reason, except under CI=true, where it fails.
test-postgres: $(STAMP) chromium
	MSGBOXX_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) MSGBOXX_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest

# lint-imports: the import contract of pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# BENCH_QUICK=1 for a short run; BENCH_ONLY=ceiling,latency,e2e,growth,memory to choose;
# see docs/benchmarks.md for every BENCH_* setting. Results: benchmarks/results/latest.json.
bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .msgboxx .pytest_cache .mypy_cache .ruff_cache
