# OrderSight: `make run` serves the API + planner page; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= data/demo
DEMO_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
export ORDERSIGHT_HOME ?= .ordersight

# editable, in setuptools' compat mode: the repository root is on sys.path, where the compiled
# modules' shared runtime is
INSTALL := $(BIN)/pip install -q --config-settings editable_mode=compat -e
# The order path's pure-Python loops, compiled by mypyc into extension modules beside their source
# (ordersight/mypyc_build.py, README "Compiled modules"). `make pure` removes them: the same code
# then runs as Python. Any domain or feature module's change rebuilds (the unchanged C is reused).
DROP_COMPILED := rm -f *__mypyc.*.so && find ordersight features models serving training -name '*.so' -delete

.PHONY: run test test-unit test-integration test-e2e bench lint format install compile pure demo \
	train browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(INSTALL) '.[dev,compile]'
	touch $@

build/.compiled: $(VENV)/.installed $(wildcard ordersight/*.py features/*.py)
	@mkdir -p build
	$(DROP_COMPILED)  # a module taken off the list must not stay compiled
	$(BIN)/python -m ordersight.mypyc_build > build/mypyc.log 2>&1 || (tail -40 build/mypyc.log; exit 1)
	touch *__mypyc.*.so && find ordersight features -name '*.so' -exec touch {} +  # as built now
	touch $@

install: compile

compile: build/.compiled

pure:
	rm -f build/.compiled
	$(DROP_COMPILED)

$(DEMO)/catalog.csv: | install
	$(BIN)/ordersight demo-data --out $(DEMO) $(DEMO_ARGS)

demo: $(DEMO)/catalog.csv

train: demo
	$(BIN)/ordersight train --data $(DEMO) --if-missing

run: train
	$(BIN)/ordersight serve --host $(HOST) --port $(PORT) --reference $(DEMO)

# Debian's chromium for the Playwright tests (no browser download: executable_path=/usr/bin/chromium);
# a CJK font so the saved screenshots show Chinese names
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

test: install browser
	$(BIN)/pytest -q -p no:cacheprovider

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

test-e2e: install browser
	$(BIN)/pytest -q tests/e2e

bench: train
	$(INSTALL) '.[dev,compile,bench]'
	$(BIN)/python -m tests.benchmarks.run

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .ordersight $(DEMO) build
	$(DROP_COMPILED)
