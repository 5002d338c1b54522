# `make run` and `make test` set everything up on a fresh machine: a virtual environment in .venv
# with the project and all its extras. The install runs again only when pyproject.toml changes.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8000

# torch and torchvision are installed first and pinned: spandrel imports torchvision, and the
# torchvision wheels on PyPI load only beside the matching torch build (torch 2.14.1 with
# torchvision 0.29.1). Pinning both keeps pip from resolving to other, multi-gigabyte builds.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: run test install clean

run: $(STAMP)
	$(BIN)/darkroom serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(TORCH_PINS)
	$(BIN)/python -m pip install --quiet -e '.[server,gpu,distributed,dev]' $(TORCH_PINS)
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
