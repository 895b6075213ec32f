# Fanfare: `make run` serves the demo on the embedded defaults, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test lint bench bench-load bench-moderation worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	DEBUG=true $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || \
		echo "Note: ffmpeg is not installed, so video entries are refused (photos work). Install it with: apt-get install ffmpeg"
	@echo "Fanfare on http://127.0.0.1:$(PORT)/  (brand console: /console/, API docs: /api/docs/)"
	DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy

worker: $(VENV)/.runtime
	$(BIN)/celery -A config worker --loglevel=INFO

beat: $(VENV)/.runtime
	$(BIN)/celery -A config beat --loglevel=INFO

bench: $(VENV)/.runtime
	@{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libvips\.so\.42' || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips42; \
	  else \
	    echo "make bench needs libvips (for pyvips): sudo apt-get install -y libvips42" >&2; exit 1; \
	  fi; }
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/renditions.py $(BENCH_ARGS)

# Needs PostgreSQL and Redis on 127.0.0.1 (see bench/README.md); starts everything else itself.
bench-load: $(VENV)/.dev
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/load.py $(LOAD_ARGS)

# Needs PostgreSQL and Redis on 127.0.0.1 (see bench/README.md); makes and drops its own databases.
bench-moderation: $(VENV)/.runtime
	$(BIN)/python bench/moderation.py $(MODERATION_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache
