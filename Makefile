# The two commands a new user needs: `make up` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test typecheck protos schema install bench clean slapd chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/syncplane up --demo

# The LDAP connector's tests start their own slapd: install it (system package) if missing.
slapd:
	bash scripts/install_slapd.sh

# The /docs test and the web console's end-to-end tests drive the system Chromium (Playwright downloads nothing).
chromium:
	bash scripts/install_chromium.sh

test: $(STAMP) slapd chromium
	$(BIN)/ruff check .
	$(BIN)/python scripts/typecheck.py
	$(BIN)/pytest -q

# mypy over the installed layout (strict on the engine: pyproject.toml [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/python scripts/typecheck.py

protos: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

# server/db/schema.sql: the schema every migration adds up to (after adding a migration).
schema: $(STAMP)
	$(BIN)/python scripts/dump_schema.py

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) build *.egg-info
