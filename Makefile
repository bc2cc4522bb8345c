# Two entry points, both idempotent: they create .venv and install the stack on first use
# (and again only when pyproject.toml or constraints.txt change).
#   make run    the main job (`flywheel run`) on embedded defaults (SQLite under ./.flywheel)
#   make test   the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
TORCH_VERSION ?= 2.13.0
# `+cpu` matches only CPU builds (PyPI has none, so nothing pulls CUDA): a local wheel or
# find-links first, else PyTorch's CPU index, with the dependencies from the usual indexes.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PYTEST_ARGS ?= -n auto

.PHONY: run test install clean

run: $(VENV)/.installed
	$(BIN)/flywheel run

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel
	@# torch first, so nothing below pulls the multi-GB CUDA build onto a machine without a GPU.
	@if ! $(BIN)/python -c 'import torch' 2>/dev/null; then \
	  if command -v nvidia-smi >/dev/null 2>&1; then \
	    echo "GPU found: installing torch==$(TORCH_VERSION) (CUDA build)"; $(PIP) install --quiet torch==$(TORCH_VERSION); \
	  else \
	    echo "No GPU: installing the CPU build of torch==$(TORCH_VERSION)"; \
	    $(PIP) install --quiet "torch==$(TORCH_VERSION)+cpu" 2>/dev/null \
	      || $(PIP) install --quiet "torch==$(TORCH_VERSION)+cpu" --extra-index-url $(TORCH_CPU_INDEX); \
	  fi; \
	fi
	$(PIP) install --quiet -c constraints.txt -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .flywheel .pytest_cache .hypothesis
