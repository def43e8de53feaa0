# payments.infra: the two commands of the README are `make demo` and `make test`.
# Everything else here is what they are made of.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ENV ?= dev
PAYMENTS_EMULATOR_PORT ?= 4566
EMULATOR_URL := http://127.0.0.1:$(PAYMENTS_EMULATOR_PORT)
export PAYMENTS_EMULATOR_PORT
# No Ansible Galaxy needed: the collections come from the `ansible` package on PyPI.
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Mitogen's strategy (about 2x faster runs) for everything make runs; MITOGEN=0 turns it off.
# Expanded when a recipe runs, i.e. after `venv` installed it.
MITOGEN ?= 1
ifeq ($(MITOGEN),1)
export ANSIBLE_STRATEGY_PLUGINS = $(shell $(BIN)/python -c 'import ansible_mitogen, os; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))' 2>/dev/null)
export ANSIBLE_STRATEGY = mitogen_linear
endif

# Talking to the emulator: the standard botocore switch plus dummy credentials.
EMULATOR_ENV := env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN \
	AWS_ENDPOINT_URL=$(EMULATOR_URL) AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_DEFAULT_REGION=us-east-1
# On the emulator there is no public name to certify: prod runs with the self-signed certificate it
# refuses on real AWS (payments_self_signed_certificate_allowed, group_vars/all).
EMULATOR_VARS := -e payments_self_signed_certificate_allowed=true

.PHONY: help venv emulator emulator-stop demo plan inventory provision lint unit integration molecule test bench clean ee ee-context

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned toolchain (PyPI only)

emulator: venv ## Start the local AWS emulator (idempotent)
	$(BIN)/python -m emulator start

emulator-stop: ## Stop the local AWS emulator (idempotent)
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m emulator stop; fi

inventory: # ENV must name an environment: nothing to run is a failure, not a success
	@[ -f inventories/$(ENV)/hosts.yml ] || { echo "ENV=$(ENV) is not an environment: one of $$(echo $$(ls inventories))" >&2; exit 2; }

demo: inventory emulator ## Provision ENV (dev|staging|prod) on the local emulator and print its outputs
	$(EMULATOR_ENV) $(BIN)/ansible-playbook site.yml -i inventories/$(ENV) $(EMULATOR_VARS)

plan: inventory emulator ## The plan of ENV on the local emulator: what a run would change, nothing written
	$(EMULATOR_ENV) $(BIN)/ansible-playbook site.yml -i inventories/$(ENV) $(EMULATOR_VARS) --check --diff

lint: venv ## yamllint, ansible-lint (production profile), ruff, module docs, limits table, function length
	$(BIN)/yamllint --strict .
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint
	$(BIN)/python tests/sanity/check_docs.py
	$(BIN)/python tests/sanity/readme_limits.py
	$(BIN)/python tests/sanity/function_length.py

unit: venv ## Unit tests: custom modules and plugins (moto in-process), the emulator
	$(BIN)/python -m pytest tests/unit tests/emulator -q -n 2

integration: venv ## Roles and playbooks against the emulator (three lanes at once, see tests/integration/conftest.py)
	$(BIN)/python -m pytest tests/integration -q -n 3 --dist loadgroup --durations=30

molecule: venv ## molecule test (default scenario)
	cd molecule/.. && PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/molecule test

# make test runs the integration tests in the foreground and, alongside them, lint, unit and
# molecule with their output kept in .cache/<step>.log and printed once the integration tests
# end: most of an integration run waits on AWS-style sleeps and polls, so the other steps use the
# idle CPU instead of running after it. Fails if any step failed, naming it.
test: venv ## Everything CI runs: lint, unit, integration, molecule
	@mkdir -p .cache; pids=""; \
	for step in lint unit molecule; do \
	  ( $(MAKE) --no-print-directory $$step > .cache/$$step.log 2>&1; echo $$? > .cache/$$step.rc ) & pids="$$pids $$!"; \
	done; \
	integration=0; $(MAKE) --no-print-directory integration || integration=$$?; \
	wait $$pids || true; failed=""; \
	for step in lint unit molecule; do \
	  echo "=== make $$step (ran alongside the integration tests): exit $$(cat .cache/$$step.rc)"; \
	  cat .cache/$$step.log; \
	  [ "$$(cat .cache/$$step.rc)" = 0 ] || failed="$$failed $$step"; \
	done; \
	[ $$integration = 0 ] || failed="$$failed integration"; \
	if [ -n "$$failed" ]; then echo "make test failed:$$failed"; exit 1; fi; echo "make test: every step passed"

# Figures, not tests: every run on a fresh emulator, this project against ../shared/bench/stock_build
# (see README, Speed). BENCH_ARGS e.g. "--envs dev --parallel 0" for a quick look.
BENCH_ARGS ?=
bench: venv ## This project against the stock build, side by side: a table and .cache/bench/bench.json
	$(BIN)/python -m bench $(BENCH_ARGS)

# The execution environment AWX runs this project in (execution-environment.yml). ee-context needs no
# container runtime and no network: it writes the build context to .cache/ee; ee builds the image.
EE_TAG ?= payments-infra-ee:$(shell sed -n 's/^version: *//p' galaxy.yml)
EE_RUNTIME ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
EE_BASE_IMAGE ?=
ee-context: venv ## The execution environment's build context in .cache/ee (offline)
	rm -rf .cache/collection .cache/ee
	$(BIN)/ansible-galaxy collection build --force --output-path .cache/collection .
	$(BIN)/ansible-builder create -f execution-environment.yml --context .cache/ee

ee: ee-context ## Build the execution environment image (EE_TAG, EE_BASE_IMAGE, EE_RUNTIME=podman|docker)
	$(BIN)/ansible-builder build -f execution-environment.yml --context .cache/ee -t $(EE_TAG) \
	  --container-runtime $(EE_RUNTIME) $(if $(EE_BASE_IMAGE),--build-arg EE_BASE_IMAGE=$(EE_BASE_IMAGE))

clean: emulator-stop ## Remove the venv and the emulator state
	rm -rf $(VENV) .emulator .cache
