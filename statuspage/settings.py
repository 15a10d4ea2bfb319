"""Offpeak settings. Every deployment-specific value comes from the environment."""

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from statuspage.env import (
    env_bool,
    env_cache_url,
    env_database,
    env_durations,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_pattern,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OFFPEAK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
# Old keys, still accepted for signed links and still decrypting stored channel URLs and webhook secrets.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Offpeak")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "corsheaders",
    "maintenance",
    "notifications",
    "endpoints",
    "statuspage",
]

MIDDLEWARE = [
    # Request latency per view for /metrics (statuspage/metrics.py), measured around everything below.
    "statuspage.metrics.RequestLatencyMiddleware",
    # A fresh cached public page goes to an anonymous GET as the whole response the middleware below made of it the
    # last time, without passing through it again (statuspage/caching.py); anything else goes on.
    "statuspage.caching.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY under Security below).
    "csp.middleware.CSPMiddleware",
    # Access-Control-Allow-Origin on the public reads only (CORS under Security below); before anything that answers.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers go out gzip-compressed to clients that accept it (with Django's BREACH mitigation);
    # whitenoise serves the static files' own precompressed copies.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "statuspage.urls"
WSGI_APPLICATION = "statuspage.wsgi.application"

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
                "statuspage.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'offpeak.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Each language's own date patterns for a window's times (maintenance/dates.py names them): statuspage/formats/<lang>/.
FORMAT_MODULE_PATH = ["statuspage.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "statuspage.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "statuspage.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "statuspage.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DATETIME_FORMAT": "iso-8601",
    "EXCEPTION_HANDLER": "statuspage.api.errors.exception_handler",
}
# Pipeline tokens: hashed (django-rest-knox), prefixed so they are recognisable, expiring; see docs/release-managers.md.
KNOX_TOKEN_MODEL = "statuspage.ApiToken"
# knox's own migrations would create its default token table even though ApiToken replaces it; that unused table
# would hold a foreign key to auth_user that Django's flush does not know about. Skip them: knox owns no table here.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_PREFIX": "offpeak_",
    "TOKEN_TTL": timedelta(days=90),  # the default; `manage.py api_token --days` sets another
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Offpeak API",
    "DESCRIPTION": "Release windows, region state and subscriptions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ serves Swagger UI from the app's own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RegionStateEnum": "maintenance.state.RegionState.choices",
        "WindowStatusEnum": "maintenance.models.Window.Status",
        "IncidentStatusEnum": "maintenance.models.Incident.Status",
        "IncidentImpactEnum": "maintenance.models.Incident.Impact",
        "IncidentOpeningStatusEnum": "statuspage.api.incidents.OPENING_STATUSES",
        "StatuspageComponentStatusEnum": [
            "operational",
            "degraded_performance",
            "partial_outage",
            "major_outage",
            "under_maintenance",
        ],
        "StatuspageIndicatorEnum": ["none", "minor", "major", "critical", "maintenance"],
        "StatuspageIncidentStatusEnum": ["investigating", "identified", "monitoring", "resolved", "postmortem"],
        "StatuspageMaintenanceStatusEnum": ["scheduled", "in_progress", "verifying", "completed"],
    },
}

# --- Cache ----------------------------------------------------------------------
# The rate limits and the public pages' content counter live in the 'default' cache, so it is shared by every
# process unless an operator asks otherwise. CACHE_URL:
# - unset or db:// (the default): a table in the app's database, made by `manage.py migrate`; shared by every
#   process and every host that uses the same database;
# - redis://host:6379/1 or rediss://...: Redis, shared by every process and faster;
# - locmem://: per-process memory, for one process only (a system check warns when more web workers run);
# - dummy://: no cache at all (no rate limit holds).
CACHE_URL = env_cache_url("CACHE_URL", "db://")
# Rendered public pages are kept in each process's memory, keyed on a content version read from the shared cache
# (statuspage/caching.py), so a cached page costs no query; dummy:// turns that off too.
CACHES = {
    "default": CACHE_URL,
    "pages": CACHE_URL
    if CACHE_URL["BACKEND"].endswith("DummyCache")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "offpeak-pages"},
}
# How long a rendered public page is reused while nothing it shows has changed, and the max-age clients get.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 15, minimum=0, maximum=3600)
PUBLIC_MAX_AGE = env_int("PUBLIC_MAX_AGE", 15, minimum=0, maximum=3600)

# --- Celery ----------------------------------------------------------------
# The default broker is kombu's filesystem transport under var/broker/, so a small install runs a real worker and
# beat with no server to install. Its folders are made when the Celery app is configured (statuspage/celery.py),
# not here: importing the settings writes nothing.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", "filesystem://", schemes={"filesystem", "redis", "rediss", "amqp", "amqps"}
)
# Publishing tries the broker once more after a short pause and then gives up, instead of kombu's default of
# reconnecting for about 6 s. A request that changes a window or subscribes must not hang when the broker is down:
# what it queues is a nudge, and the beat finds the same work by itself. Workers reconnect as before
# (broker_connection_max_retries); this applies to publishing only.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        # Messages are written to and read from one folder; a message read is deleted, not kept.
        data_folder_in=str(BROKER_DIR / "queue"),
        data_folder_out=str(BROKER_DIR / "queue"),
        store_processed=False,
        # The exchange tables (kombu's default is control/ in the working directory).
        control_folder=str(BROKER_DIR / "control"),
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "statuspage.celery:Scheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every periodic task, in one place. Each asks "what should have happened by now?", so a missed run loses nothing.
CELERY_BEAT_SCHEDULE = {
    "advance-windows": {"task": "maintenance.tasks.advance_windows", "schedule": 30.0},
    "purge-idempotency-keys": {"task": "maintenance.tasks.purge_idempotency_keys", "schedule": crontab(minute=41)},
    "plan-windows": {"task": "maintenance.tasks.plan_windows", "schedule": crontab(minute=17, hour=3)},
    "notifications-schedule-due": {"task": "notifications.tasks.schedule_due", "schedule": 60.0},
    "endpoints-schedule-due": {"task": "endpoints.tasks.schedule_due", "schedule": 60.0},
    "notifications-purge-unconfirmed": {
        "task": "notifications.tasks.purge_unconfirmed",
        "schedule": crontab(minute=41, hour=4),
    },
    "check-zone-rules": {"task": "maintenance.tasks.check_zone_rules", "schedule": crontab(minute=7, hour=3)},
}

# --- Offpeak ----------------------------------------------------------------
PLAN_MONTHS_AHEAD = env_int("PLAN_MONTHS_AHEAD", 12, minimum=1, maximum=120)
# A window may be started at most this long before its start, unless the caller forces it with a reason.
START_LEAD_MINUTES = env_int("START_LEAD_MINUTES", 60, minimum=0, maximum=7 * 24 * 60)
SLA_TARGET = env_float("SLA_TARGET", 99.9, minimum=0, maximum=100)
# Which announced maintenance the SLA sets aside: its weekend part, as the SLA words it, or any announced window.
SLA_EXCLUDED_MAINTENANCE = env_pattern("SLA_EXCLUDED_MAINTENANCE", "weekend", r"weekend|any", "weekend or any")
# How long the pipeline API remembers an Idempotency-Key and its answer.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24, minimum=1, maximum=24 * 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Security ------------------------------------------------------------------
# Production defaults (DEBUG off) pass `manage.py check --deploy` with no warning.
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
_PRODUCTION = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _PRODUCTION)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
# The language switcher's cookie (django_language): sent over HTTPS only in production, never to other sites'
# requests, and out of reach of scripts (no script reads it).
LANGUAGE_COOKIE_SECURE = env_bool("LANGUAGE_COOKIE_SECURE", _PRODUCTION)
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
X_FRAME_OPTIONS = "DENY"

# CORS (django-cors-headers): other sites' scripts (a status widget, a dashboard) may read the public, read-only
# answers -- /api/v2/, the reads of /api/v1/ and the feeds -- with `Access-Control-Allow-Origin: *` and never with
# credentials. Which requests get it is decided by statuspage.cors.public_read (connected in statuspage.apps); a
# write (POST, PATCH, DELETE) or its preflight gets no CORS header at all, so no other origin can drive one.
CORS_URLS_REGEX = r"^$"  # no path by this rule; the signal above decides
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["etag"]
CORS_PREFLIGHT_MAX_AGE = 86400
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 262144, minimum=1024)

# No inline script without a nonce, no inline style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Notifications -----------------------------------------------------------
# Mail leaves only through the delivery outbox (notifications.Delivery). The backend is Django's: the file backend
# into var/outbox/ by default, SMTP (EMAIL_HOST...), or an ESP through anymail (ANYMAIL_ESP=mailgun, postmark, ...).
ANYMAIL_ESP = env_str("ANYMAIL_ESP", "")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "outbox"))
if ANYMAIL_ESP:
    if not ANYMAIL_ESP.isidentifier() or not importlib.util.find_spec(f"anymail.backends.{ANYMAIL_ESP}"):
        raise ImproperlyConfigured(
            f"ANYMAIL_ESP names no anymail backend: {ANYMAIL_ESP!r} (try mailgun, postmark, ...)."
        )
    _default_email_backend = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
elif env_str("EMAIL_HOST"):
    _default_email_backend = "django.core.mail.backends.smtp.EmailBackend"
else:
    _default_email_backend = "notifications.backends.FileAndConsoleBackend"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", _default_email_backend)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1, maximum=600)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Offpeak <noreply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# ESP credentials come from ANYMAIL_<NAME> variables, for example ANYMAIL_MAILGUN_API_KEY=...; the tracking
# webhooks at /anymail/<esp>/tracking/ are protected by HTTP basic auth with ANYMAIL_WEBHOOK_SECRET ("user:password").
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and key not in {"ANYMAIL_ESP", "ANYMAIL_WEBHOOK_SECRET"} and value
}
if env_str("ANYMAIL_WEBHOOK_SECRET"):
    ANYMAIL["WEBHOOK_SECRET"] = env_str("ANYMAIL_WEBHOOK_SECRET")
# The tracking webhook is closed by default: only /anymail/<ANYMAIL_ESP>/tracking/ answers, and only with the
# secret's credentials (notifications.webhooks); `check --deploy` errors on an ESP without ANYMAIL_WEBHOOK_SECRET.
# Signed subscription links are credentials: every handler cuts their tokens out (and the notifications app does so
# on Django's request and runserver loggers, whose records also reach Django's own handlers).
LOGGING.setdefault("filters", {})["redact_links"] = {"()": "notifications.logs.RedactLinks"}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("redact_links")

# How long before a window's start each reminder goes out: a list of timedeltas, longest first.
NOTIFY_REMINDER_LEADS = env_durations("NOTIFY_REMINDER_LEADS", "24h")
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 5, minimum=1, maximum=50)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 300, minimum=1, maximum=86400)
# A chunk is recorded as soon as it has been handed over, so it bounds what a killed worker can send twice. An email
# sending task claims several chunks at once (one claim, then one record per chunk): fewer claims, same bound.
DELIVERY_CHUNK_SIZE = env_int("DELIVERY_CHUNK_SIZE", 250, minimum=1, maximum=5000)
DELIVERY_CHUNKS_PER_TASK = env_int("DELIVERY_CHUNKS_PER_TASK", 4, minimum=1, maximum=40)
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 30, minimum=1, maximum=3600)
# The Celery queue the notification tasks go to; empty means the default queue.
NOTIFY_QUEUE = env_str("NOTIFY_QUEUE", "")
SUBSCRIPTION_CONFIRM_MAX_AGE_DAYS = env_int("SUBSCRIPTION_CONFIRM_MAX_AGE_DAYS", 7, minimum=1, maximum=365)
SUBSCRIPTION_LINK_MAX_AGE_DAYS = env_int("SUBSCRIPTION_LINK_MAX_AGE_DAYS", 60, minimum=1, maximum=3650)
SUBSCRIPTION_PURGE_DAYS = env_int("SUBSCRIPTION_PURGE_DAYS", 30, minimum=1, maximum=3650)
SUBSCRIBE_MAX_BODY_BYTES = env_int("SUBSCRIBE_MAX_BODY_BYTES", 4096, minimum=512, maximum=1_000_000)
_RATE = r"[1-9]\d*/\d*[smhd]"
SUBSCRIBE_RATE_PER_IP = env_pattern("SUBSCRIBE_RATE_PER_IP", "20/h", _RATE, "20/h (a count per s, m, h or d)")
SUBSCRIBE_RATE_PER_ADDRESS = env_pattern("SUBSCRIBE_RATE_PER_ADDRESS", "5/h", _RATE, "5/h (a count per s, m, h or d)")

# The rate limits count on the 'default' cache (CACHE_URL): shared by every process unless it is locmem://.
RATELIMIT_USE_CACHE = "default"

# --- Webhooks and chat channels (docs/webhooks.md) ---------------------------------
# Webhook endpoints must be https and resolve to public addresses only; these open that up for development and tests.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOWED_NETWORKS = env_networks("WEBHOOK_ALLOWED_NETWORKS")
# A failing endpoint is retried with exponential backoff for this long, then its subscription is disabled.
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24, minimum=1, maximum=24 * 7)
# The owner is emailed once an endpoint has been failing this long.
WEBHOOK_FAILING_NOTICE_MINUTES = env_int("WEBHOOK_FAILING_NOTICE_MINUTES", 60, minimum=1, maximum=24 * 60)
# How many endpoints one worker posts to at the same time (each endpoint's own events go one after another).
ENDPOINT_SEND_THREADS = env_int("ENDPOINT_SEND_THREADS", 16, minimum=1, maximum=128)
# meta.documentation of every payload; empty: the site's API docs.
WEBHOOK_DOCUMENTATION_URL = env_str("WEBHOOK_DOCUMENTATION_URL", "")

# --- Integrations (docs/integrations.md) -------------------------------------------
# Monitors open and resolve incidents through /api/v1/automation/alertmanager/ and /api/v1/automation/events/.
AUTOMATION_REGION_LABEL = env_str("AUTOMATION_REGION_LABEL", "region")
AUTOMATION_SEVERITY_LABEL = env_str("AUTOMATION_SEVERITY_LABEL", "severity")
AUTOMATION_FLAP_MINUTES = env_int("AUTOMATION_FLAP_MINUTES", 10, minimum=0, maximum=1440)
AUTOMATION_MAX_ALERTS = env_int("AUTOMATION_MAX_ALERTS", 1000, minimum=1, maximum=10000)
AUTOMATION_MAX_BODY_BYTES = env_int("AUTOMATION_MAX_BODY_BYTES", 2_000_000, minimum=1024, maximum=50_000_000)
AUTOMATION_MAX_AGE_DAYS = env_int("AUTOMATION_MAX_AGE_DAYS", 31, minimum=1, maximum=366)
# /metrics is closed unless one of these lets a scraper in: a bearer token, or the networks it scrapes from.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS")

# Late acknowledgement (above) means a task a worker dies in is delivered again. Each broker bounds how long a
# message may stay unacknowledged, and the longest delivery retry countdown (an ETA message the worker holds
# unacknowledged) must fit in it, or the broker hands the message out twice (Redis) or drops the channel (RabbitMQ).
_LONGEST_COUNTDOWN = DELIVERY_RETRY_BASE_SECONDS * 2 ** max(DELIVERY_MAX_ATTEMPTS - 2, 0)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis: unacknowledged messages go back to the queue after the visibility timeout.
    CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60, maximum=7 * 86400)
    _BOUND, _BOUND_NAME = CELERY_VISIBILITY_TIMEOUT, "CELERY_VISIBILITY_TIMEOUT"
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_VISIBILITY_TIMEOUT
elif CELERY_BROKER_URL.startswith(("amqp://", "amqps://")):
    # RabbitMQ: the broker closes a channel whose delivery stays unacknowledged past its consumer_timeout
    # (rabbitmq.conf; 30 minutes by default). Say here what the broker has. Publisher confirms make a publish
    # return only once RabbitMQ has the message.
    RABBITMQ_CONSUMER_TIMEOUT = env_int("RABBITMQ_CONSUMER_TIMEOUT", 1800, minimum=60, maximum=7 * 86400)
    _BOUND, _BOUND_NAME = RABBITMQ_CONSUMER_TIMEOUT, "RABBITMQ_CONSUMER_TIMEOUT"
    CELERY_BROKER_TRANSPORT_OPTIONS["confirm_publish"] = True
else:
    _BOUND = None
if _BOUND is not None and _LONGEST_COUNTDOWN + DELIVERY_LEASE_SECONDS >= _BOUND:
    raise ImproperlyConfigured(
        f"{_BOUND_NAME} ({_BOUND}s) must exceed the longest delivery retry countdown ({_LONGEST_COUNTDOWN}s, from "
        f"DELIVERY_RETRY_BASE_SECONDS and DELIVERY_MAX_ATTEMPTS) plus DELIVERY_LEASE_SECONDS "
        f"({DELIVERY_LEASE_SECONDS}s)."
    )
