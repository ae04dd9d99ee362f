# Two commands: `make run` sets everything up and serves; `make test` sets up and runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint install clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# the model first: the demo tickets and sentiment items are then classified as they arrive. The scheduler
# (deadline sweep, notifications, feeds, nightly retraining, reports) runs beside the web server and
# stops with it.
run: $(STAMP)
	$(BIN)/hotline train --if-missing
	$(BIN)/hotline init --demo
	@$(BIN)/hotline scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' EXIT; \
	$(BIN)/hotline serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

# The browser tests drive Debian's chromium (no browser download); fonts-noto-cjk renders Chinese.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The suite runs on SQLite (the embedded default: forced, whatever the environment says), and on PostgreSQL
# when HOTLINE_TEST_DATABASE_URL is set (.ci/run sets it to the local server). The two passes run side by side:
# the suite waits on servers, browsers and subprocesses much of the time, so together they take about two
# thirds of the time one after the other. The SQLite pass prints as it goes; the PostgreSQL pass's output
# follows when both have ended (and it is stopped if make is interrupted); either failing fails the target.
test: $(STAMP) lint browser
	@if [ -z "$$HOTLINE_TEST_DATABASE_URL" ]; then \
		echo "== tests on SQLite =="; \
		HOTLINE_TEST_DATABASE_URL= $(BIN)/python -m pytest -q; \
	else \
		log=$$(mktemp); \
		$(BIN)/python -m pytest -q > "$$log" 2>&1 & postgres=$$!; \
		trap 'kill $$postgres 2>/dev/null' INT TERM; \
		echo "== tests on SQLite (the PostgreSQL pass runs beside it) =="; \
		HOTLINE_TEST_DATABASE_URL= $(BIN)/python -m pytest -q; sqlite=$$?; \
		wait $$postgres; pg=$$?; \
		echo "== tests on PostgreSQL ($${HOTLINE_TEST_DATABASE_URL##*@}) =="; \
		cat "$$log"; rm -f "$$log"; \
		[ $$sqlite -eq 0 ] && [ $$pg -eq 0 ]; \
	fi

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
