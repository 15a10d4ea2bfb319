# Offpeak: `make run` to set up and start the app, `make test` to run the tests.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test test-fast ci lint migrate plan clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## run: set up SQLite, plan PLAN_MONTHS_AHEAD (12) months of windows, and serve on http://127.0.0.1:8000 with a
## worker and beat; everything they write goes under var/
run: $(STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py plan_windows
	DEBUG=$${DEBUG:-1} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

# axe-core for the accessibility test, from the npm lock; without npm that test is skipped and says so.
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility test will be skipped"; fi

## test: install the dev dependencies and run the whole suite
test: $(STAMP) node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-fast: the suite without the slow tests (servers, workers, browsers, fuzzing), on every core, for the edit-test loop
test-fast: $(STAMP) node_modules/.installed
	$(BIN)/python -m pytest -m "not slow" -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var staticfiles node_modules
