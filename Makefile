# Outdials: `make run` serves a demo on http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint format bench migrate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A local secret, made once and kept out of git, so sessions survive restarts.
.local-secret-key:
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: install .local-secret-key
	DJANGO_SECRET_KEY=$$(cat .local-secret-key) DJANGO_HTTPS=0 $(BIN)/python manage.py migrate --noinput
	DJANGO_SECRET_KEY=$$(cat .local-secret-key) DJANGO_HTTPS=0 $(BIN)/python manage.py collectstatic --noinput -v 0
	DJANGO_SECRET_KEY=$$(cat .local-secret-key) DJANGO_HTTPS=0 $(BIN)/python manage.py ensuredemo
	@echo "Serving on http://$(HOST):$(PORT)/ (API under /v1.0, admin under /admin/)"
	@# The web server (./gunicorn.conf.py sets workers, timeouts, logs) and one
	@# job worker, together (Procfile): Ctrl-C stops both.
	PATH="$(abspath $(BIN)):$$PATH" OUTDIALS_BIND=$(HOST):$(PORT) PYTHONUNBUFFERED=1 \
		DJANGO_SECRET_KEY=$$(cat .local-secret-key) DJANGO_HTTPS=0 \
		$(BIN)/honcho start

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m benchmarks $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) staticfiles media db.sqlite3 db.sqlite3-wal db.sqlite3-shm .local-secret-key
