# machimado — developer entry points. `make demo` and `make test` each create .venv and install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PostgreSQL runs too when it is reachable, in a database of the project's own (its schema is dropped and recreated
# by the tests), created when missing; never someone's `test` database by accident. CI sets TEST_DATABASE_URL itself.
PG_DB := machimado_test
PG_URL := postgresql+psycopg://postgres@127.0.0.1:5432/$(PG_DB)
TEST_DATABASE_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && \
	{ psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PG_DB)'" 2>/dev/null | grep -q 1 || \
	  createdb -h 127.0.0.1 -U postgres $(PG_DB) 2>/dev/null; } && echo "$(PG_URL)")
export TEST_DATABASE_URL

.PHONY: install demo test lint chromium bench clean lock

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]" -c requirements.lock
	touch $(STAMP)

install: $(STAMP)

# The versions in requirements.lock: what is installed now (after `pip install -e ".[test]"` without constraints).
lock:
	$(BIN)/pip install --quiet -e ".[test]"
	{ sed -n '1,3p' requirements.lock; $(BIN)/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

demo: install
	$(BIN)/machimado demo

# Debian's chromium (never a downloaded browser) and a Japanese font for readable screenshots.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=ja 2>/dev/null | grep -q .; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; }

# ruff on everything; mypy on the product packages (the list is in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install chromium lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/faq_speed.py --json

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
