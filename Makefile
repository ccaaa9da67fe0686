# govcrawl: `make demo` runs the whole job on the local farm; `make test` runs the test suite.
# Both install what they need on a fresh machine (a virtualenv in .venv, Redis, Elasticsearch).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install services stop demo test lint bench clean

$(BIN)/scrapy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/scrapy

services:
	scripts/services.sh tools
	scripts/services.sh start

stop:
	scripts/services.sh stop

demo: install services
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" DEMO_WORLD=b DEMO_SITES=40 DEMO_NAME=demo-b DEMO_PORT=8801 \
		DEMO_BASE_IP=127.0.2.1 DEMO_OUT=out/demo-b scripts/demo.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" DEMO_WORLD=c DEMO_SITES=30 DEMO_SEED=3 DEMO_NAME=demo-c DEMO_PORT=8802 \
		DEMO_BASE_IP=127.0.3.1 DEMO_OUT=out/demo-c scripts/demo.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" DEMO_WORLD=d DEMO_SITES=30 DEMO_SEED=3 DEMO_NAME=demo-d DEMO_PORT=8803 \
		DEMO_BASE_IP=127.0.5.1 DEMO_OUT=out/demo-d scripts/demo.sh

test: install services lint
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check crawler pipelines scripts tests
	$(BIN)/mypy --no-incremental

bench: install services
	$(BIN)/python scripts/bench.py

clean:
	rm -rf run out
