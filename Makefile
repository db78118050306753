# Engage: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := engage

.PHONY: run serve test install install-dev migrate seed clean messages

# Compiled message catalogues (.mo) are built from the committed .po files.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

install: $(VENV)/.installed $(CATALOGUES)

install-dev: $(VENV)/.installed-dev $(CATALOGUES)

# After marking new strings: collect them and merge them into every catalogue (then translate them).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs='.* __pycache__ .venv node_modules' --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete --no-fuzzy-matching

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo

run: seed
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Production: gunicorn on PORT (default 8000) with SECRET_KEY from the environment; migrates first.
# `kill -HUP` on gunicorn's master (or `systemctl reload engage-web`) reloads gracefully.
SERVE_PORT := $(if $(filter file,$(origin PORT)),8000,$(PORT))
serve: install
	HOST=$(HOST) PORT=$(SERVE_PORT) $(BIN)/python -m engage.ops.serve

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
