# gwcloud-python developer tasks. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
WHEELHOUSE := $(VENV)/wheelhouse
WHEELHOUSE_PYTHONS ?= 3.10 3.13
# The subpackages of gwcloud_python._generated, one per schema, and the ariadne-codegen runs
# that build them (a package run each, plus a client-only run for a second client class).
GENERATED_DIR := src/gwcloud_python/_generated
GENERATED_PACKAGES := auth bilby bilby2026
CODEGEN_CONFIGS := codegen/auth.toml codegen/bilby_async.toml codegen/bilby.toml codegen/bilby2026_async.toml codegen/bilby2026.toml

.PHONY: install generate check-generated schema schema-2026-next schema-drift lint format typecheck test unit downstream-tests demo bench docs reliability-report clean

# A venv with the project (editable) and its dev/test tools; rebuilt when pyproject changes.
# The tools come from the PEP 735 `dev` group (pip >= 25.1 has --group); an older pip gets
# the same list from tools/dev_requirements.py. The last step fills
# $(WHEELHOUSE) with wheels of the runtime dependencies for the Pythons the packaging test
# installs the built wheel into, so that the test itself never downloads.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	if $(PY) -m pip install --help | grep -q -- '--group'; then \
		$(PY) -m pip install --quiet -e . --group dev; \
	else \
		$(PY) tools/dev_requirements.py dev > $(VENV)/dev-requirements.txt && \
		$(PY) -m pip install --quiet -r $(VENV)/dev-requirements.txt; \
	fi
	$(PY) tools/wheelhouse.py $(WHEELHOUSE) $(WHEELHOUSE_PYTHONS)
	touch $@

install: $(VENV)/.installed

# Delete and rebuild $(GENERATED_DIR) (ariadne-codegen leaves stale files behind), then the
# synchronous twins of the hand-written async modules. tools/generate_clients.py runs every
# configuration in a scratch copy of the inputs and keeps each schema's models once (see
# "How the client is built" in README.md); the package's own py.typed covers them.
generate: install
	$(PY) tools/generate_clients.py $(CODEGEN_CONFIGS) --packages $(GENERATED_PACKAGES)
	$(PY) tools/unasync.py

# Regenerate in a scratch copy and compare byte for byte (fails when $(GENERATED_DIR) or a
# sync twin is stale); also check the schema stamps.
check-generated: install
	$(PY) tools/generate_clients.py --check $(CODEGEN_CONFIGS) --packages $(GENERATED_PACKAGES)
	$(PY) tools/unasync.py --check
	$(PY) tools/schema_refresh.py --check-stamp schema/STAMP.json
	$(PY) tools/schema_refresh.py --check-stamp schema/2026/STAMP.json --schema-dir schema/2026
	$(PY) tools/schema_refresh.py --check-stamp schema/2026-next/STAMP.json --schema-dir schema/2026-next

# Refresh a schema: make schema NAME=bilby SOURCE=<endpoint URL or introspection JSON>
# (SCHEMA_DIR=schema/2026 for the 2026 service; STAMP defaults to $(SCHEMA_DIR)/STAMP.json,
# QUERIES to queries/$(NAME)).
SCHEMA_DIR ?= schema
STAMP ?= $(SCHEMA_DIR)/STAMP.json
QUERIES ?= queries/$(NAME)
schema: install
	$(PY) tools/schema_refresh.py "$(SOURCE)" --name $(NAME) --schema-dir $(SCHEMA_DIR) --stamp $(STAMP) --queries-dir $(QUERIES)

# The schema the 2026 service has announced (gwcloud-python 3.0.0's CHANGELOG): today's
# recorded 2026 schema without the LIGO flags. Re-run after schema/2026 changes; exit 1 is
# expected (the report lists the operations that only a service with the flags accepts).
NEXT_DROPPED := EventIDType.isLigoEvent EventIDMutationInput.isLigoEvent \
	UpdateEventIDMutationInput.isLigoEvent GWFlowJob.ligoOnly GWFlowUpsertInput.ligoOnly
schema-2026-next: install
	$(PY) tools/schema_refresh.py schema/2026/bilby.graphql --name bilby --schema-dir schema/2026-next \
		--queries-dir queries/bilby --baseline schema/2026/bilby.graphql \
		$(addprefix --drop-field ,$(NEXT_DROPPED)) > schema/2026-next/REFRESH_REPORT.txt || test $$? -eq 1
	cat schema/2026-next/REFRESH_REPORT.txt

# What .github/workflows/schema-drift.yml runs weekly: refresh every public schema, then
# fail when an operation no longer validates (make schema) or when a schema moved (git diff).
schema-drift: install
	$(MAKE) schema NAME=bilby SOURCE=https://gwcloud.org.au/graphql SCHEMA_DIR=schema/2026 QUERIES=queries/bilby
	$(MAKE) schema NAME=bilby SOURCE=https://gwcloud.org.au/bilby/graphql
	$(MAKE) schema NAME=auth SOURCE=https://gwcloud.org.au/auth/graphql
	git diff --stat --exit-code -- schema

# bench/ is not in the sdist: lint what exists.
LINT_PATHS := src tests tools examples $(wildcard bench)

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: install
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

# mypy --strict on the package; then a downstream package that uses only the public API,
# checked by mypy --strict and pyright --strict from outside; then pyright's verifytypes
# completeness of the public API (>= 98 %, no `Any` leaking to users).
typecheck: install
	$(BIN)/mypy --strict src/gwcloud_python
	cd examples/downstream && $(CURDIR)/$(BIN)/mypy --strict --config-file mypy.ini gw_downstream
	cd examples/downstream && $(CURDIR)/$(BIN)/pyright --pythonpath $(CURDIR)/$(PY) gw_downstream
	$(PY) tools/verify_types.py --min-score 0.98

unit: install
	$(BIN)/pytest -q

# The example downstream package (examples/downstream_tests) passes its tests, which use only
# the `gwcloud` pytest plugin's fixtures, in a fresh venv holding just the built wheel with
# its `server` extra, pytest and the example, installed from local builds and
# $(WHEELHOUSE) (nothing is downloaded).
downstream-tests: install
	$(PY) tools/downstream_tests.py --wheelhouse $(WHEELHOUSE)

test: lint typecheck check-generated unit docs downstream-tests

demo: install
	$(PY) examples/demo.py

bench: install
	$(PY) bench/run.py

# Run the reliability suite and regenerate docs/reliability.md from its results.
reliability-report: install
	$(PY) tools/reliability_report.py

# The documentation site; warnings are errors.
docs: install
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) dist build docs/_build .mypy_cache .ruff_cache .pytest_cache
