"""Settings from the environment: secrets, debug, hosts, the database."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_NAMES = (
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "OUTDIALS_ALLOW_DEV_SECRET",
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "OUTDIALS_WIRE_TIMES",
)
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "db = s.DATABASES['default']; "
    "print(json.dumps({'debug': s.DEBUG, 'secret': s.SECRET_KEY, "
    "'hosts': s.ALLOWED_HOSTS, 'engine': db['ENGINE'], 'name': str(db['NAME']), "
    "'options': db.get('OPTIONS', {}), 'answer': db.get('ANSWER_TIMEOUT')}))"
)


def start(**env) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process with exactly these variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    clean["DJANGO_SETTINGS_MODULE"] = "outdialsite.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded(**env) -> dict:
    result = start(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_refuses_to_start_without_a_secret_key():
    for debug in ("0", ""):
        result = start(DJANGO_DEBUG=debug)
        assert result.returncode != 0
        assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set." in result.stderr
        assert "DJANGO_DEBUG=1" in result.stderr  # says how to get going locally
    assert start(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="").returncode != 0


def test_debug_runs_get_a_development_secret():
    shown = loaded(DJANGO_DEBUG="1")
    assert shown["debug"] is True
    assert shown["secret"].startswith("dev-only-insecure")


def test_the_secret_key_comes_from_the_environment():
    shown = loaded(DJANGO_SECRET_KEY="s" * 60)
    assert shown["secret"] == "s" * 60
    assert shown["debug"] is False  # off unless asked for


def test_a_bad_debug_value_is_refused_loudly():
    result = start(DJANGO_DEBUG="maybe", DJANGO_SECRET_KEY="s" * 60)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 1/0/true/false, not 'maybe'" in result.stderr


def test_a_wire_times_mode_other_than_seed_or_rfc3339_is_refused_loudly():
    result = start(OUTDIALS_WIRE_TIMES="iso", DJANGO_SECRET_KEY="s" * 60)
    assert result.returncode != 0
    assert "OUTDIALS_WIRE_TIMES must be one of seed, rfc3339" in result.stderr
    assert (
        start(OUTDIALS_WIRE_TIMES="RFC3339", DJANGO_SECRET_KEY="s" * 60).returncode == 0
    )


def test_allowed_hosts_are_a_comma_separated_list():
    shown = loaded(
        DJANGO_SECRET_KEY="s" * 60, DJANGO_ALLOWED_HOSTS=" a.example , b.example,"
    )
    assert shown["hosts"] == ["a.example", "b.example"]
    default = loaded(DJANGO_SECRET_KEY="s" * 60)
    assert default["hosts"] == ["127.0.0.1", "localhost", "[::1]"]


def test_sqlite_is_the_default_in_wal_mode_with_immediate_transactions():
    shown = loaded(DJANGO_SECRET_KEY="s" * 60)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(BASE_DIR / "db.sqlite3")
    assert shown["options"]["transaction_mode"] == "IMMEDIATE"
    assert shown["options"]["timeout"] >= 5
    assert "journal_mode=WAL" in shown["options"]["init_command"]


def test_database_url_selects_postgresql():
    shown = loaded(
        DJANGO_SECRET_KEY="s" * 60,
        DATABASE_URL="postgres://app:pw@db.example:5433/outdials",
    )
    # Django's backend, with every wait on the server bounded.
    assert shown["engine"] == "outdialsite.postgresql"
    assert shown["name"] == "outdials"


def test_postgresql_has_connect_and_statement_timeouts_from_the_environment():
    url = "postgres://app:pw@db.example:5433/outdials"
    default = loaded(DJANGO_SECRET_KEY="s" * 60, DATABASE_URL=url)
    assert default["options"] == {
        "connect_timeout": 5,
        "options": (
            "-c statement_timeout=30000 -c plan_cache_mode=force_generic_plan"
            " -c jit=off"
        ),
        "prepare_threshold": 5,
    }
    assert default["answer"] == 35
    chosen = loaded(
        DJANGO_SECRET_KEY="s" * 60,
        DATABASE_URL=url,
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_STATEMENT_TIMEOUT="10",
    )
    assert chosen["options"] == {
        "connect_timeout": 2,
        "options": (
            "-c statement_timeout=10000 -c plan_cache_mode=force_generic_plan"
            " -c jit=off"
        ),
        "prepare_threshold": 5,
    }
    assert chosen["answer"] == 15


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="PostgreSQL session settings",
)
def test_the_statement_timeout_is_in_force_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


sqlite_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "sqlite").startswith("postgres"),
    reason="SQLite connection settings",
)


@sqlite_only
def test_the_sqlite_connection_is_in_wal_mode(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


@sqlite_only
def test_a_sqlite_transaction_takes_the_write_lock_at_begin(transactional_db):
    """IMMEDIATE: a second writer waits at BEGIN instead of failing midway."""
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # a read only, yet the lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    finally:
        other.close()
