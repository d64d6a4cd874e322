# Two commands on a fresh machine: `make run` (the product, with demo data) and `make test`.
PYTHON ?= python3
VENV   := .venv
# The v1.3 SDK (twelvelabs 1.3.x) has the v1.2 SDK's import name: it lives in a venv of its own.
SDK13_VENV := .venv-sdk13
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# Every install is constrained to the CPU torch wheel: an unpinned torch pulls GBs of CUDA.
PIP_INSTALL := $(PIP) install -q -c constraints.txt
APT_PACKAGES := ffmpeg espeak-ng fonts-dejavu-core
RUN_ENV := DEBUG=$${DEBUG:-1}

VAR    := $${FRAMEWISE_VAR_DIR:-var}

.PHONY: run local-env test install install-dev system-deps browser-deps lint clean

# ffmpeg and espeak-ng generate the demo and test videos (PyAV itself needs no system ffmpeg).
system-deps:
	@missing=""; for tool in ffmpeg espeak-ng; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing with apt-get"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

# Debian's Chromium and its driver, for the browser tests (no browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

$(VENV)/.runtime: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

$(SDK13_VENV)/.installed: requirements-sdk13.txt
	test -x $(SDK13_VENV)/bin/python || $(PYTHON) -m venv $(SDK13_VENV)
	$(SDK13_VENV)/bin/python -m pip install -q -r requirements-sdk13.txt
	touch $@

install: system-deps $(VENV)/.runtime

install-dev: system-deps browser-deps $(VENV)/.dev $(SDK13_VENV)/.installed

# Development mode for every process of this checkout, the command-line tools included
# (config/settings.py reads the file; the environment still wins).
local-env:
	@mkdir -p "$(VAR)" && { test -f "$(VAR)/local.env" || printf 'DEBUG=1\n' > "$(VAR)/local.env"; }

run: install local-env
	$(RUN_ENV) $(PY) manage.py migrate --noinput -v0
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(RUN_ENV) $(PY) manage.py setup_demo
	$(RUN_ENV) $(PY) manage.py serve

# Missing migrations are caught by a test (tests/library/test_accounts_and_ops.py).
# Lint and format checks, the import contracts and the type check (pyproject.toml) run first:
# together about a minute, and a finding stops the run before the suite's many minutes.
test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	SECRET_KEY=type-check-only $(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(SDK13_VENV) var
