# Backorder Radar: the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export BENTOML_DO_NOT_TRACK := true
export DO_NOT_TRACK := true
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy

.PHONY: install demo serve test test-fast lint clean lock

install: $(STAMP)

# Re-installs only when the lock or the project metadata changed.
$(STAMP): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip sync --python $(VENV)/bin/python --compile-bytecode requirements.lock
	$(VENV)/bin/uv pip install --python $(VENV)/bin/python --no-deps --compile-bytecode -e .
	touch $(STAMP)

demo: install
	$(VENV)/bin/backorder demo

# The scoring API on 127.0.0.1:3000 (docs/serving.md); needs `make demo` and trained champions.
serve: install
	BENTOML_HOME=$${BENTOML_HOME:-$(CURDIR)/data/bentoml} $(VENV)/bin/bentoml serve \
		serving.service:RiskService --host 127.0.0.1 --port 3000

# Whole modules go to one worker (module-scoped fixtures are built once), in collection order: the
# modules with slow tests first (tests/conftest.py). A worker that crashes ends the run with its
# traceback: pytest-xdist's loadscope scheduler (3.8) re-queues the crashed worker's finished
# modules as empty units and then waits for them forever (pytest-xdist issue 1378).
XDIST := -n auto --dist loadscope --no-loadscope-reorder --max-worker-restart=0

# The run ends with its slowest tests, to keep the suite's time in view.
test: install
	$(VENV)/bin/python -m pytest $(XDIST) --durations=25

test-fast: install
	$(VENV)/bin/python -m pytest $(XDIST) -m "not slow"

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf data/ .pytest_cache

# Re-resolve the whole stack after editing pyproject.toml dependencies.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu -o requirements.lock
