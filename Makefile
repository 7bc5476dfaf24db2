# Observatoire de l'attractivité — every developer task has a target here (`make help`).
PY      := .venv/bin/python
STAMP   := .venv/.installed
PORT    ?= 8501
PYTEST_ARGS ?= -n 2 --durations=30

.PHONY: help run serve test test-fast lint data rebuild info bench screenshots clean
PROCESSES ?= 2
SERVE_PORT ?= 8080

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

data: $(STAMP) ## build data/observatoire.duckdb if missing or older than data/sources
	$(PY) -m indicators build --if-stale

rebuild: $(STAMP) ## rebuild the database from data/sources unconditionally
	$(PY) -m indicators build

run: data ## install, build the database if needed, serve the app on http://localhost:8501
	$(PY) -m streamlit run app.py --server.port $(PORT)

serve: data ## N Streamlit processes behind nginx on SERVE_PORT (PROCESSES=4 make serve); installs nginx if missing
	test -x /usr/sbin/nginx || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx)
	$(PY) scripts/serve.py --processes $(PROCESSES) --port $(SERVE_PORT)

test: data lint ## lint, then the whole suite: unit, AppTest pages, browser tests in Debian Chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (rules in pyproject.toml)
	$(PY) -m ruff check .

test-fast: data ## unit and AppTest only (no browser)
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

info: data ## counts of territories, indicators, observations, groups
	$(PY) -m indicators info

bench: data ## build, queries, imports, exports, and map speed against naive plotly/folium
	$(PY) bench/run.py
	$(PY) bench/bombs.py
	$(PY) bench/maps.py
	$(PY) bench/links.py
	$(PY) bench/evaluation.py
	$(PY) bench/calibration.py
	$(PY) bench/terrain.py
	$(PY) bench/protocol_load.py
	$(PY) bench/load.py

screenshots: data ## screenshots of every page into artifacts/screenshots (server must run on PORT)
	$(PY) scripts/screenshots.py http://localhost:$(PORT) artifacts/screenshots

clean: ## remove the built database and test artifacts
	rm -rf data/observatoire.duckdb data/*.lock artifacts .pytest_cache
