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

## The site's browser test (tests/test_site_browser.py) drives Debian's chromium: installed here when this
## runs as root with apt-get (a fresh CI machine); elsewhere that test skips and says how to get it.
.PHONY: browser
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the site's browser test..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
	    echo "could not install chromium: the browser test will skip"; \
	  else echo "no chromium, and not root with apt-get: the browser test will skip"; fi; }

## make test: the suite (no network, no server started by hand) on TEST_WORKERS processes, but the
## end-to-end tests marked slow (a real Prefect server and its workers, DuckLake runs, the wheel):
## make test-slow runs those, one at a time (two Prefect servers at once on 2 cores stall each
## other's SQLite). CI (.ci/run) runs both. worksteal: an idle worker takes queued tests
## from a busy one, so one long test does not set the end.
TEST_WORKERS ?= 2
test: setup browser
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not slow"

.PHONY: test-slow
test-slow: setup
	$(PY) -m pytest -q -m slow

## make bench: llm-ledger's versioned load against dlt's scd2 merge on a synthetic catalog, as-of reads, the all-pairs
## export and the end-to-end runs (bench/e2e.py) (~4 min);
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
