# The two commands a newcomer needs:  make dev  (run everything)  and  make test.
# Both create the virtual environment and install the project on first use.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test test-postgres test-cluster test-faults test-security install clean

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

## Run the test suite (embedded SQLite + Redis unless QIYUN_TEST_DATABASE_URL / QIYUN_TEST_REDIS_URL are set).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) var .pytest_cache
