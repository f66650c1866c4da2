# OrderSight: `make run` serves the API + planner page; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= data/demo
DEMO_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
export ORDERSIGHT_HOME ?= .ordersight

# The order path's pure-Python loops, compiled by mypyc into extension modules beside their source
# (README "Compiled modules"). `make pure` removes them: the same code then runs as Python.
COMPILED := features/address_text.py features/address_lexicon.py features/address_parser.py \
	features/address_features.py features/orders.py features/duplicates.py \
	features/channel_prices.py features/order_reference.py features/stock_ledger.py \
	ordersight/gazetteer.py ordersight/baby_age.py
DROP_COMPILED := rm -f *__mypyc.*.so && find ordersight features models serving training -name '*.so' -delete

.PHONY: run test test-unit test-integration test-e2e bench lint format install compile pure demo \
	train browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,compile]'
	touch $@

$(VENV)/.compiled: $(VENV)/.installed $(COMPILED)
	@mkdir -p build
	$(DROP_COMPILED)  # a module taken off the list must not stay compiled
	$(BIN)/mypyc $(COMPILED) > build/mypyc.log 2>&1 || (tail -40 build/mypyc.log; exit 1)
	touch $(foreach m,$(COMPILED),$(m:.py=).*.so)  # built from the sources as they are now
	touch $@

install: compile

compile: $(VENV)/.compiled

pure:
	rm -f $(VENV)/.compiled
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
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m tests.benchmarks.run

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .ordersight $(DEMO) build
	$(DROP_COMPILED)
