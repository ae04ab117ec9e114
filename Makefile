# The two commands of the README. Both set up .venv first (only when pyproject.toml changed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

## make run: replay the bundled recorded crawl into ./data (warehouse + exports) and print a summary
run: setup
	$(VENV)/bin/llm-ledger run

## make test: the whole suite (no network, no server started by hand), on TEST_WORKERS processes
TEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS)

## make bench: llm-ledger's versioned load against dlt's scd2 merge on a synthetic catalog (~2-3 min);
## prints one JSON line and writes bench/results.json. dlt is installed only here, through the bench extra.
.PHONY: bench
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) bench/bench_load.py --out bench/results.json

## make faults: the fault matrix (kills, damaged archives, hostile input, HTTP faults, full disk; ~7 min)
.PHONY: faults
faults: setup
	$(PY) bench/fault_matrix.py --out bench/fault_matrix.json

clean:
	rm -rf data .pytest_cache .hypothesis
