# Two commands on a fresh clone: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	@$(BIN)/timebank serve

# The Python files git knows (tracked, or added with `git add`): a scratch file of one's own is
# no business of `make test`. Outside a git checkout, every file.
PY_FILES = $(or $(shell git ls-files '*.py' 2>/dev/null),.)

lint: $(STAMP)
	@echo "ruff check and ruff format --check: $(words $(PY_FILES)) files"
	@$(BIN)/ruff check $(PY_FILES)
	@$(BIN)/ruff format --check $(PY_FILES)

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
