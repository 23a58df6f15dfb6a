# One command to run, one to test; each does its own set-up.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-browser worker lint format migrations-check messages bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# Every demo sign-in comes from one address: 30 SMS an hour per address (production) is a few rounds.
run: export LIMIT_SMS_PER_ADDRESS_HOUR ?= 300
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Residence permit service platform: http://$(HOST):$(PORT)/"
	@echo "  API docs: http://$(HOST):$(PORT)/api/v1/docs/   admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite; on PostgreSQL when DATABASE_URL is postgres://...
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# A Celery worker with beat (the daily jobs) in one process; needs CELERY_BROKER_URL, e.g.
# CELERY_BROKER_URL=redis://127.0.0.1:6379/0 make worker (production: workers and one beat apart).
worker: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0): without a broker tasks run inline"; exit 1; }
	@mkdir -p var
	$(VENV)/bin/celery -A config worker -B -s var/celerybeat-schedule --loglevel=INFO

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Extract the interface strings (code, templates and config/) into the Chinese catalogue, then compile it.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore '.venv/*'

bench: install
	bash bench/run.sh

clean:
	rm -rf $(VENV) var
