# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
# Each bootstraps .venv on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000
# HTTPS for phones (camera, offline pages): make run HOST=0.0.0.0 CERT=grow.lan.pem KEY=grow.lan-key.pem
CERT   ?=
KEY    ?=
SCHEME := $(if $(CERT),https,http)
TLS    := $(if $(CERT),--cert $(CERT) --key $(KEY))

.PHONY: install system-check run test test-postgres lint bench bench-labels bench-health clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "growapp needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# WeasyPrint's system libraries (Pango, HarfBuzz, Fontconfig): says what to install.
system-check:
	@$(PYTHON) scripts/check_system.py

run: system-check install
	$(BIN)/flask --app growapp db upgrade
	$(BIN)/flask --app growapp seed-demo
	@$(BIN)/python -m growapp.addresses $(HOST) $(PORT) $(SCHEME)
	$(BIN)/flask --app growapp run --host $(HOST) --port $(PORT) $(TLS)

# TEST_DATABASE_URL picks the engine (default: a temporary SQLite file).
test: system-check install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: system-check install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/growapp_test} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run.py --plants $${BENCH_PLANTS:-100,1000,5000} --engines $${BENCH_ENGINES:-sqlite,postgresql}

bench-labels: install
	$(BIN)/python bench/labels.py

bench-health: install
	$(BIN)/python bench/health.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
