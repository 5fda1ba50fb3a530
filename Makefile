# houseprices — `make help` lists every target.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HP := $(BIN)/houseprices
DVC := $(BIN)/dvc
PYTEST_ARGS ?=
STAMP := $(VENV)/.installed
# dvc.yaml runs `python -m houseprices...`: make it the project venv's python.
export PATH := $(abspath $(BIN)):$(PATH)

# Debian packages the targets need (mk/*.mk files append to it); `make system-deps` installs them.
SYSTEM_PACKAGES :=
# What CI proves beyond `make test` (mk/*.mk files append targets).
CI_TARGETS :=

-include $(sort $(wildcard mk/*.mk))

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (set PYTHON=...)"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

.PHONY: install
install: $(STAMP) ## Create .venv and install the locked dependencies and the package

.PHONY: lock
lock: ## Re-resolve requirements.lock from pyproject.toml (after changing dependencies)
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml --extra pipeline --extra dev --python-version 3.11 \
	  --quiet --no-header --output-file requirements.lock

.PHONY: data
data: $(STAMP) ## Bring the Kaggle files into data/raw (from HOUSE_PRICES_DATA, the Kaggle CLI or the DVC remote)
	@if [ -z "$${HOUSE_PRICES_DATA:-}" ] && [ ! -f data/raw/train.csv ] && $(DVC) pull --quiet data/raw.dvc 2>/dev/null; then \
	  echo "data/raw restored from the DVC remote"; \
	else \
	  $(HP) data fetch && $(DVC) add --quiet data/raw; \
	fi

.PHONY: repro
repro: $(STAMP) ## Run the DVC pipeline (only the stages whose inputs changed)
	$(DVC) repro

.PHONY: run
run: data repro ## Set up, fetch data, run the pipeline, print the metrics
	@echo
	@$(HP) metrics
	@echo
	@echo "model:      models/model.joblib"
	@echo "submission: reports/submission.csv"
	@echo "plots:      reports/plots/"

.PHONY: run-fast
run-fast: data ## The whole pipeline in the fast (CI) profile: one CV repeat, no MLflow logging
	HOUSEPRICES_TRACKING=off $(DVC) exp run --set-param profile=fast
	@$(DVC) metrics show

.PHONY: tune
tune: data ## Optuna search over every family (resumable); proposes params in reports/tuning/
	$(DVC) repro features
	$(HP) tune

.PHONY: mlflow-ui
mlflow-ui: $(STAMP) ## Open the MLflow UI on the project's tracking store (http://127.0.0.1:5000)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port 5000

.PHONY: test
test: $(STAMP) ## Run the whole test suite (needs HOUSE_PRICES_DATA)
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: $(STAMP) ## Unit tests only
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

.PHONY: format
format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

.PHONY: push
push: $(STAMP) ## Push data and models to the DVC remote
	$(DVC) push

.PHONY: pull
pull: $(STAMP) ## Pull data and models from the DVC remote
	$(DVC) pull

.PHONY: system-deps
system-deps: ## Install the Debian packages the targets need (root, apt)
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

.PHONY: ci
ci: system-deps $(CI_TARGETS) ## What CI proves beyond `make test` (container, workflow lint, ...)
	@echo "CI targets passed: $(or $(CI_TARGETS),none)"

.PHONY: clean
clean: ## Remove caches and build files (keeps .venv, data and models)
	rm -rf .pytest_cache .ruff_cache .mypy_cache build dist src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
