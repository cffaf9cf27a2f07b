"""Settings for Outdials, in one file, read from the environment.

Safe defaults for a local run (SQLite, debugging off unless asked for); a
production start without a real secret key refuses to boot.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0/true/false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {raw!r}"
        ) from None


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first is the default)."""
    raw = (os.environ.get(name) or "").strip().lower() or choices[0]
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("OUTDIALS_ALLOW_DEV_SECRET", False):
        SECRET_KEY = _DEV_SECRET
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for a local development run."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_tasks_db: its own ``db_worker`` command extends the library's.
    "outdials",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, before the host check and HTTPS redirect.
    "outdials.health.OpsEndpointsMiddleware",
    "outdials.metrics.MetricsMiddleware",
    "outdials.api.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "outdials.security.CSPMiddleware",
    "outdials.security.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "outdials.api.middleware.APIErrorMiddleware",
    "outdials.bodies.WholeBodyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sessions, CSRF cookies, the signed-in user and messages serve the staff
    # pages; calls on the API's resources carry their own credential and go
    # past the four (ResourceCallsMiddleware: keep them together, after it).
    "outdials.api.middleware.ResourceCallsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, so that a lost database answers 503 before anything answers 500.
    "outdials.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "outdialsite.urls"
WSGI_APPLICATION = "outdialsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite by default (zero set-up), PostgreSQL in production.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Timeouts on the database, so that a hung server answers 503 within seconds
# instead of holding a worker until gunicorn kills it (outdials.outage).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 30)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Every wait on the server is bounded, not only connects and statements
    # (outdialsite/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "outdialsite.postgresql"
    DATABASES["default"]["CONNECT_TIMEOUT"] = DATABASE_CONNECT_TIMEOUT
    DATABASES["default"]["ANSWER_TIMEOUT"] = DATABASE_STATEMENT_TIMEOUT + 5
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        # A prepared statement keeps one plan for every value of its
        # parameters; left to choose, PostgreSQL plans the claim statement
        # afresh on every call, as its generic cost guess is higher (the
        # hot paths' statements write their limits in, so the one plan is
        # the right one). The keyset pages, whose plan depends on the size
        # of the list, are bound on the client and planned per call
        # (outdials/rawsql.py). No JIT compiling: the service's statements
        # each read a page or a few rows, and compiling one that the planner
        # prices high costs more than it saves (a search over a list whose
        # older targets are still being backfilled: 62 ms against 17).
        "options": (
            f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}"
            " -c plan_cache_mode=force_generic_plan -c jit=off"
        ),
        # The hot paths' statements (outdials/rawsql.py) are prepared on the
        # server once a connection has run one this often: a claim is then
        # not planned again (9 ms of its 11). Django's own queries bind on
        # the client and are never prepared. Behind a pooler in transaction
        # mode, give it prepared statement support (PgBouncer 1.21+:
        # max_prepared_statements) or set DATABASE_PREPARE_THRESHOLD=0.
        "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5) or None,
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # One test database per run, so that two runs on one server keep apart.
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the busy timeout instead of failing midway.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests use a file (not :memory:) so that concurrency tests get real,
    # separate connections; one file per run keeps parallel runs apart.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(
            tempfile.gettempdir(), f"outdials-test-{os.getpid()}.sqlite3"
        )
    }

# Background jobs (imports, bulk changes, exports): Django's Tasks API through the
# django-tasks backport, queued in this database and run by `manage.py db_worker`.
# Another backend of the same API (RQ, Celery) is a change of this setting only.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "outdials.User"
# Django's username/password check behind the sign-in throttle (every sign-in
# path: the API, the staff pages, the admin).
AUTHENTICATION_BACKENDS = ["outdials.api.throttling.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The default storage keeps uploaded import files between the mapping, preview
# and import steps, and until their import job ends (local files under
# MEDIA_ROOT unless STORAGES says otherwise, e.g. S3 through django-storages);
# web and job worker processes must share it: a shared volume when several
# hosts serve.
MEDIA_ROOT = os.environ.get("OUTDIALS_MEDIA_ROOT", str(BASE_DIR / "media"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Request bodies: JSON calls are small; CSV uploads go through their own limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("OUTDIALS_MAX_BODY_BYTES", 1024 * 1024)
# A body over this is spooled to a temporary file as it arrives (read whole
# by outdials.bodies before anything parses it; the importer reads a text/csv
# body from that spool), and so is a multipart file (Django's
# TemporaryFileUploadHandler): never held whole in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "outdials.api.auth.CredentialAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "outdials.api.permissions.IsCustomerUser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["outdials.api.renderers.FastJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "outdials.api.renderers.JSONFallbackNegotiation"
    ),
    # JSON whatever the Content-Type says (SPEC §2); the CSV import has its own.
    "DEFAULT_PARSER_CLASSES": ["outdials.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "outdials.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["outdials.api.throttling.CustomerRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}

# Product limits (one home; validators, serializers, forms and importers read them).
OUTDIALS = {
    "NAME_MAX_LENGTH": 255,
    "DETAIL_MAX_LENGTH": 2000,
    "DATA_MAX_BYTES": 64 * 1024,
    "ADDRESS_MAX_LENGTH": 2000,
    "PAGE_SIZE": 100,
    "MAX_PAGE_SIZE": 100,
    "TOKEN_LIFETIME": timedelta(days=7),
    "STRICT_PHONE_NUMBERS": env_bool("OUTDIALS_STRICT_PHONE_NUMBERS", False),
    "DEFAULT_REGION": os.environ.get("OUTDIALS_DEFAULT_REGION", "US"),
    # CSV uploads (multipart or text/csv bodies) have their own, larger limit:
    # a million realistic rows (name, detail, two labelled numbers) are 63 MiB.
    "UPLOAD_MAX_BYTES": env_int("OUTDIALS_UPLOAD_MAX_BYTES", 128 * 1024 * 1024),
    # A suppression list with more entries than this is deleted by a job.
    "SUPPRESSION_DELETE_IN_REQUEST": env_int(
        "OUTDIALS_SUPPRESSION_DELETE_IN_REQUEST", 10_000
    ),
    # CSV imports: rows per file and characters per cell, checked before writing.
    "IMPORT_MAX_ROWS": env_int("OUTDIALS_IMPORT_MAX_ROWS", 1_000_000),
    "IMPORT_MAX_CELL_CHARS": env_int("OUTDIALS_IMPORT_MAX_CELL_CHARS", 2000),
    # An uploaded file waits this long for its mapping, preview and import.
    "STAGED_UPLOAD_TTL": timedelta(
        minutes=env_int("OUTDIALS_STAGED_UPLOAD_MINUTES", 120)
    ),
    # Sign-in throttling: this many failures for one username from one address
    # within the window lock that pair out until the oldest failure ages out.
    "LOGIN_FAILURES": env_int("OUTDIALS_LOGIN_FAILURES", 5),
    "LOGIN_WINDOW": timedelta(minutes=env_int("OUTDIALS_LOGIN_WINDOW_MINUTES", 15)),
    # Per-customer API rate, e.g. "6000/min" (also /s, /hour, /day); empty is off.
    "API_RATE": os.environ.get("OUTDIALS_API_RATE", ""),
    # Proxies in front that append to X-Forwarded-For; 0 trusts none of it.
    "TRUSTED_PROXIES": env_int("OUTDIALS_TRUSTED_PROXIES", 0),
    # Times on the wire: "seed" (the tutorial's) or "rfc3339" (VoIPbin's now).
    "WIRE_TIMES": env_choice("OUTDIALS_WIRE_TIMES", ("seed", "rfc3339")),
    # Background jobs: a running job whose worker has not written a heartbeat
    # for this long is taken as lost (killed, crashed) and marked failed.
    "JOB_STALE_AFTER": timedelta(seconds=env_int("OUTDIALS_JOB_STALE_SECONDS", 60)),
    # /readyz fails while jobs wait and no worker was seen for this long.
    "WORKER_SEEN_WITHIN": timedelta(
        seconds=env_int("OUTDIALS_WORKER_SEEN_SECONDS", 60)
    ),
    # Bulk changes on more targets than this run as a job with a progress page.
    "BULK_INLINE_MAX": env_int("OUTDIALS_BULK_INLINE_MAX", 1000),
    # PostgreSQL: a page's matching count (capped at 10,000) that takes longer
    # than this many milliseconds gives way to an estimate; 0 never does.
    "COUNT_BUDGET_MS": env_int("OUTDIALS_COUNT_BUDGET_MS", 250),
}

# Caches. The sign-in throttle and the API rate limit must be shared by every
# gunicorn worker of every server: in Redis when REDIS_URL is set, else in the
# database (the sign-in locks in a cache table made by `migrate`, the rate
# counters in a table of their own, outdials.limits, whose increments are
# atomic where the database cache's are not).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "login": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "outdials-login",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "outdials_cache",
            # Culling drops arbitrary rows; a flood must not evict live locks.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    ),
}
if REDIS_URL:
    CACHES["limits"] = {**CACHES["login"], "KEY_PREFIX": "outdials-limits"}

# /readyz runs these in order (outdials.health); more can be appended.
OUTDIALS_READINESS_CHECKS = [
    "outdials.health.database_answers",
    "outdials.health.migrations_applied",
    "outdials.health.worker_seen",
]
# /metrics answers only with `Authorization: Bearer <this>`; unset, it is off.
OUTDIALS_METRICS_TOKEN = os.environ.get("OUTDIALS_METRICS_TOKEN", "")

# Error mails: server errors (500s, and the first of each burst of database
# failures) go to ADMINS, "Name <address>" entries separated by commas.
ADMINS = [
    (address.partition("<")[0].strip() or address, address)
    for address in env_list("DJANGO_ADMINS", [])
]
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", "outdials@localhost")
DEFAULT_FROM_EMAIL = SERVER_EMAIL
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)

# HTTPS: on by default when debugging is off; DJANGO_HTTPS=0 serves plain HTTP
# on a private address (`make run`). Behind a TLS proxy setting X-Forwarded-Proto.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Query strings may hold ?token=: never send a URL to another site.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp) on every response. Pages load scripts and
# styles from this site only; an inline script needs `nonce="{{ request.csp_nonce }}"`.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Error reports (mails to ADMINS, the debug page) leave out credentials.
DEFAULT_EXCEPTION_REPORTER = "outdials.redaction.RedactingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "outdials.redaction.RedactingReporterFilter"

SPECTACULAR_SETTINGS = {
    "TITLE": "Outdials API",
    "DESCRIPTION": (
        "Target lists of outbound calling campaigns: outdials, their targets "
        "with up to five destinations, and access keys. Every error has the "
        'body `{"error": {"status", "reason", "message", "request_id"}}`.'
    ),
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1\.0",
    "ENUM_NAME_OVERRIDES": {
        "DestinationType": "outdials.models.DestinationType",
        "TargetStatus": "outdials.models.TargetStatus",
        "JobStatus": "outdials.models.JobStatus",
        "ErrorStatus": "outdials.api.schema.ERROR_STATUSES",
    },
    "PREPROCESSING_HOOKS": ["outdials.api.schema.documented_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "outdials.api.schema.finish_document",
    ],
}

# Every log line passes through the redaction filter: no token, access key or
# Authorization header reaches a log file.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "outdials.redaction.RedactSecretsFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false", "redact_secrets"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        # One line per burst of database failures (outdials.outage), mailed too.
        "outdials.outage": {
            "handlers": ["console", "mail_admins"],
            "level": "INFO",
            "propagate": False,
        },
        "outdials.health": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        },
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}
