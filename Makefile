# Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
# uv from PATH if there is one, else bootstrapped with pip into .tools/ (no download but PyPI)
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
CITYOPS := $(VENV)/bin/cityops

.PHONY: setup demo test test-all mutate bench lint clean

$(UV):
	python3 -m pip install --quiet --target .tools uv

# --compile-bytecode: these machines set PYTHONDONTWRITEBYTECODE=1, so without .pyc files
# every command compiled its imports again (dbt alone 4.2 s instead of 1.7 s)
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups --compile-bytecode
	touch $@

setup: $(VENV)/.synced

demo: setup
	$(CITYOPS) demo

# Two tiers (pytest markers in pyproject.toml). `make test`, the fast tier (≤ 15 min here;
# one worker per core, a test file per worker: 10.6 min on 2 cores, 18.5 in one process):
# every test not marked `long` — unit, dbt, AppTest. `make test-all`,
# the long tier (≤ 60 min): the `long` tests `make test` leaves out (the full Spark parity,
# the browser tests, whole-system passes), then `make mutate`; with `make test` it is everything, and CI
# runs the two one after the other, so no test runs twice
test: setup
	$(PY) -m pytest -q -m "not long" -n auto --dist loadfile

test-all: setup
	$(PY) -m pytest -q -m long
	$(MAKE) mutate

# the mutation check (tests/mutants.toml, tests/mutate.py): each mutant breaks one rule in
# a temporary copy of the project; the tests named beside it must fail
mutate: setup
	$(PY) tests/mutate.py

bench: setup
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# ruff, then sqlfluff over the dbt project (.sqlfluff). sqlfluff's dbt templater compiles
# the project, so dbt needs a profile target: a throw-away DuckDB file (and dbt's target and
# log directories) in a temporary directory, removed afterwards
lint: setup
	$(VENV)/bin/ruff check warehouse dashboards expectations tests benchmarks
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	CITYOPS_DUCKDB_PATH=$$tmp/lint.duckdb DBT_TARGET_PATH=$$tmp/target DBT_LOG_PATH=$$tmp/logs \
	$(VENV)/bin/sqlfluff lint dbt

clean:
	rm -rf data dbt/target dbt/logs tests/artifacts
