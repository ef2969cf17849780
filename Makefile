# The two commands a newcomer needs:  make dev  (run everything)  and  make test.
# Both create the virtual environment and install the project on first use.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test test-python test-miniprogram miniprogram test-postgres test-cluster test-faults test-security install clean

$(STAMP): setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

install: $(STAMP)

## Run server + worker + WeChat simulator with demo data on the embedded default.
dev: $(STAMP)
	$(BIN)/qiyun dev

## Run the test suite: the mini-program's jest tests, then the Python suite (embedded SQLite +
## Redis unless QIYUN_TEST_DATABASE_URL / QIYUN_TEST_REDIS_URL are set).
test: test-miniprogram test-python

test-python: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The mini-program client (miniprogram/): npm packages from its lock file, the npm build,
## jest (components with miniprogram-simulate, pages' logic) and the type check. Without
## Node.js it is skipped with a note, unless QIYUN_REQUIRE_MINIPROGRAM is set (CI sets it).
MP := miniprogram
MP_STAMP := $(MP)/node_modules/.qiyun-installed

$(MP_STAMP): $(MP)/package.json $(MP)/package-lock.json
	cd $(MP) && npm ci --no-audit --no-fund
	@touch $@

$(MP)/miniprogram_npm/.built: $(MP_STAMP) $(MP)/scripts/build-npm.js
	cd $(MP) && npm run --silent build:npm
	@touch $@

miniprogram: $(MP)/miniprogram_npm/.built

test-miniprogram:
	@if command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory miniprogram && \
	  cd $(MP) && npm test --silent -- --ci && npm run --silent typecheck; \
	elif [ -n "$$QIYUN_REQUIRE_MINIPROGRAM" ]; then \
	  echo "the mini-program tests need Node.js 20 and npm (QIYUN_REQUIRE_MINIPROGRAM is set)" >&2; exit 1; \
	else \
	  echo "skipping the mini-program tests: Node.js/npm not found (install Node.js 20 to run them)"; \
	fi

## The same suite on the local PostgreSQL and Redis.
test-postgres: $(STAMP)
	QIYUN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
	QIYUN_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Several processes, one truth: two servers and two workers on one PostgreSQL and one Redis.
test-cluster: $(STAMP)
	QIYUN_TEST_DATABASE_URL=$${QIYUN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	QIYUN_TEST_REDIS_URL=$${QIYUN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	$(BIN)/python -m pytest tests/cluster $(PYTEST_ARGS)

## Faults with nothing lost: killed workers, Redis restarts, database outages, WeChat errors.
test-faults: $(STAMP)
	QIYUN_TEST_DATABASE_URL=$${QIYUN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	QIYUN_TEST_REDIS_URL=$${QIYUN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	$(BIN)/python -m pytest tests/faults $(PYTEST_ARGS)

## Hostile input: property-based and schema-driven tests of every door (docs/security.md).
test-security: $(STAMP)
	$(BIN)/python -m pytest tests/security $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache $(MP)/node_modules $(MP)/miniprogram_npm
