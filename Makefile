# gwcloud-python developer tasks. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CODEGEN_CONFIGS := codegen/auth.toml codegen/bilby.toml codegen/bilby_async.toml codegen/bilby2026.toml codegen/bilby2026_async.toml

.PHONY: install generate check-generated schema lint format typecheck test unit demo bench docs reliability-report clean

# A venv with the project (editable) and its dev/test tools; rebuilt when pyproject changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Delete and rebuild the generated clients (ariadne-codegen leaves stale files behind).
generate: install
	rm -rf generated/gwcloud_*
	for cfg in $(CODEGEN_CONFIGS); do $(BIN)/ariadne-codegen client --config $$cfg >/dev/null || exit 1; done

# Regenerate in a scratch copy and compare byte for byte; also check the schema stamp.
check-generated: install
	@tmp=$$(mktemp -d); \
	cp -r schema queries codegen $$tmp/; \
	mkdir -p $$tmp/src/gwcloud_python $$tmp/generated; \
	cp src/gwcloud_python/_generated_base.py src/gwcloud_python/_generated_async_base.py $$tmp/src/gwcloud_python/; \
	(cd $$tmp && for cfg in $(CODEGEN_CONFIGS); do $(CURDIR)/$(BIN)/ariadne-codegen client --config $$cfg >/dev/null || exit 1; done) || { rm -rf $$tmp; exit 1; }; \
	find generated $$tmp/generated -name __pycache__ -prune -exec rm -rf {} +; \
	if diff -r $$tmp/generated generated; then echo "generated/ is up to date"; else echo "generated/ is stale: run 'make generate'"; rm -rf $$tmp; exit 1; fi; \
	rm -rf $$tmp
	$(PY) tools/schema_refresh.py --check-stamp schema/STAMP.json
	$(PY) tools/schema_refresh.py --check-stamp schema/2026/STAMP.json --schema-dir schema/2026

# Refresh a schema: make schema NAME=bilby SOURCE=<endpoint URL or introspection JSON>
schema: install
	$(PY) tools/schema_refresh.py "$(SOURCE)" --name $(NAME)

lint: install
	$(BIN)/ruff check src tests tools examples bench
	$(BIN)/ruff format --check src tests tools examples bench

format: install
	$(BIN)/ruff check --fix src tests tools examples bench
	$(BIN)/ruff format src tests tools examples bench

typecheck: install
	$(BIN)/mypy --strict src/gwcloud_python
	cd examples/downstream && $(CURDIR)/$(BIN)/mypy --strict --config-file /dev/null gw_downstream

unit: install
	$(BIN)/pytest -q

test: lint typecheck check-generated unit docs

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
	rm -rf $(VENV) dist build .mypy_cache .ruff_cache .pytest_cache
