"""Settings, all from the environment. Defaults run with no services (SQLite, a filesystem broker).

With DEBUG off, the settings a production deploy must choose are required and a missing one stops
the process at start with a message that names it.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from kombu import Queue

from config import queues
from config.env import env_bool, env_int, env_list, env_str, local_secret_key
from config.rates import Rate

# Lets runtime code write the generic forms that type checking needs (ModelAdmin[Model], ...).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=True)
PRODUCTION = not DEBUG
# `make run` serves the product on this machine as people meet it (DEBUG off) and sets
# LOCAL_RUN=true: the secret key may then be generated once into var/, the local host names are
# allowed, and pages are served over plain HTTP. A deployment never sets it, so with DEBUG off a
# missing SECRET_KEY or ALLOWED_HOSTS still stops the process at start.
LOCAL_RUN = env_bool("LOCAL_RUN", default=False)
DEPLOYED = PRODUCTION and not LOCAL_RUN

SECRET_KEY = env_str("SECRET_KEY", required=DEPLOYED) or (
    local_secret_key(VAR_DIR) if LOCAL_RUN else "insecure-dev-key-set-SECRET_KEY-in-production"
)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"], required=DEPLOYED
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "community",
    "community.contract",  # the social contract's wiring; its models stay in "community"
    "community.contract.releases",  # canaries, ratification, release health (label "releases")
    "budgets",
    "incidents",
    "incidents.postmortems",  # restorative postmortems: own models, label "postmortems"
    "community.contract.replay",  # dry runs of clauses over past events (label "replay")
    "incidents.postmortems.circle",  # the circle's pages, API and tasks (label "circle")
    "incidents.gamedays",  # game days: runbook rehearsals in a sandbox (label "gamedays")
    "integrations",
    "demo",  # the demo community (manage.py seed_demo); nothing imports it
    "operations",  # export/import of a community, retention; nothing imports it
    "boards",  # flow health, change safety and fairness boards; nothing imports it
]

MIDDLEWARE = [
    "config.observability.RequestIdMiddleware",
    "config.observability.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.headers.PermissionsPolicyMiddleware",
    "config.input_guard.InputGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After auth: the person's own language, else the community's default (community.language).
    "community.language.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After CSRF and auth: a forged POST never counts, and limits per person know the user.
    "config.throttling.FormThrottleMiddleware",
    # Innermost: records what the view did, with the status it answered.
    "config.audit.AuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidents.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every query of the app is short (a page, a batch, one chunk of a recalculation): JIT
    # compilation costs more than it saves. At 100,000 members it added 6.5 s to the fairness
    # board's 8 s (docs/benchmarks.md, the pages benchmark).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 8)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    # A bounded pool per process: a burst of requests (the development server opens a thread
    # per request) waits for a free connection instead of exhausting PostgreSQL's
    # max_connections. Pooled connections replace persistent ones (CONN_MAX_AGE must be 0).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (``Index(include=...)``) speed up PostgreSQL's incremental budget
# recalculation; SQLite builds them without the extra columns, which is all we need there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "community:index"
LOGOUT_REDIRECT_URL = "community:index"

# --- I18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# English is the source language; each language is named in its own words (the picker shows them).
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language: config/formats/en keeps the English as it was; Korean is Django's own.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------------
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if DEPLOYED
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": (
            {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", default=False),
            }
            if _email_backend.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Community SRE <noreply@localhost>")
# A notification's e-mail that fails for a transient reason (a dropped connection, a 4xx) is tried
# again after 1, 2, 4, 8 minutes by default, and given up (recorded as failed) after 5 tries.
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", 5)
NOTIFICATION_EMAIL_RETRY_SECONDS = env_int("NOTIFICATION_EMAIL_RETRY_SECONDS", 60)

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=DEPLOYED)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=DEPLOYED)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=DEPLOYED)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if DEPLOYED else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=DEPLOYED)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=DEPLOYED)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env_bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Every page's scripts and styles are our own static files (htmx is vendored and told not to
# inject its indicator style), so the policy needs no 'unsafe-inline' and no nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # Swagger UI's icons are data: URLs
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features the app never uses, denied to the page and to anything it might embed.
PERMISSIONS_POLICY_DENIED = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
# Webhook bodies are verified over the raw bytes; anything bigger than this is refused early.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Without this kombu writes its exchange table to ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task killed half-way is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues (config/queues.py): ingest, recalc, outbound and default, every task routed by name.
# A worker started without -Q consumes all four; a deployment gives each group its own worker.
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in queues.QUEUES)
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_TASK_ROUTES = queues.routes()
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The whole periodic schedule, in one place. Each entry names a thin task over a service.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "releases-check-canaries": {"task": "releases.check_canaries", "schedule": 60.0},
    "dispatch-domain-events": {"task": "community.dispatch_domain_events", "schedule": 30.0},
    "worker-heartbeat": {"task": "community.heartbeat", "schedule": 60.0},
    # Cooldowns end by a task scheduled at their end; this sweep catches any whose task was lost.
    "incidents-sweep-cooldowns": {"task": "incidents.sweep_cooldowns", "schedule": 60.0},
    # Clause SLOs: status snapshots and burn-rate alerts (ingest also queues one, coalesced).
    "evaluate-clauses": {"task": "community.evaluate_clauses", "schedule": 60.0},
    # Budgets regenerate as charges leave the window: rewrite the budgets whose numbers moved.
    "budgets-regenerate": {"task": "budgets.regenerate_all", "schedule": 600.0},
    # Recalculations requested while the broker was down are sent again (coalescing flags).
    "budgets-resend-stale": {"task": "budgets.resend_stale", "schedule": 60.0},
    # Discourse deliveries stored while the broker was down; forum-action and webhook retries.
    "integrations-sweep-deliveries": {
        "task": "integrations.sweep_discourse_deliveries",
        "schedule": 60.0,
    },
    "integrations-sweep-outbound": {"task": "integrations.sweep_outbound", "schedule": 60.0},
    # Postmortems due: drafts for incidents that require one, reminders until published.
    "postmortems-reminders": {"task": "postmortems.send_due_reminders", "schedule": 600.0},
    # Guardrail action items being verified against their clause's indicator.
    "postmortems-verify": {"task": "postmortems.check_verifications", "schedule": 600.0},
    # Restorative circles: agreements due soon are brought up to their owners (once a day
    # each), and public summaries approved or past their objection window go out.
    # Game days: a feeder whose task was lost (a killed worker) picks up where it stopped.
    "gamedays-resume-feeding": {"task": "gamedays.resume_feeding", "schedule": 60.0},
    # Game days ended GAMEDAY_SANDBOX_RETENTION_DAYS ago: their sandboxes go, their reports stay.
    "gamedays-purge-sandboxes": {"task": "gamedays.purge_sandboxes", "schedule": 3600.0},
    "circle-remind-agreements": {"task": "circle.remind_agreements", "schedule": 3600.0},
    "circle-publish-summaries": {"task": "circle.publish_due_summaries", "schedule": 3600.0},
    # Retention (RETENTION_* below): the one purge of everything that expires.
    "purge-expired": {"task": "operations.purge_expired", "schedule": 3600.0},
    # The fairness board's counts for every community (default window), so the board reads them.
    "boards-fairness": {"task": "boards.compute_all_fairness", "schedule": 3600.0},
}
# How old the stored fairness counts may be before the board counts again itself (seconds).
FAIRNESS_SNAPSHOT_MAX_AGE = env_int("FAIRNESS_SNAPSHOT_MAX_AGE", 2 * 3600)

# --- Cache and rate limits ----------------------------------------------------------------
# Rate-limit counters must be shared by every web worker: Redis in production (by default the
# broker's, when that is Redis; keys are prefixed), local memory otherwise.
_redis_schemes = ("redis://", "rediss://")
CACHE_URL = env_str(
    "CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(_redis_schemes) else "locmem://"
)
if CACHE_URL.startswith(_redis_schemes):
    CACHES: dict[str, dict[str, object]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "csre",
        }
    }
elif CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://... or locmem://, got {CACHE_URL!r}.")

# Trusted proxies in front of the app: the client address is the one this many hops back in
# X-Forwarded-For (0: the connecting address itself). Rate limits per address rely on it.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
# Hits per period ("5/15m", "10/h", "600/m"), each from THROTTLE_<SCOPE> in the environment.
THROTTLE_RATES = {
    scope: env_str(f"THROTTLE_{scope.upper()}", default)
    for scope, default in {
        "login_account": "5/15m",  # failed logins per account
        "login_address": "20/15m",  # failed logins per client address
        "password_reset": "5/h",  # reset requests per client address
        "password_reset_email": "3/h",  # reset requests per email address
        "appeal": "10/h",  # appeals filed per person
        "report": "10/h",  # heated-space reports per person
        "api_key": "600/m",  # API calls per key
        "api_anon": "60/m",  # API calls without a key, per client address
    }.items()
}
for _scope, _rate in THROTTLE_RATES.items():
    try:
        Rate.parse(_rate)
    except ValueError as exc:
        raise ImproperlyConfigured(f"THROTTLE_{_scope.upper()}: {exc}") from None

# --- Integrations -------------------------------------------------------------------------
# Outbound webhooks and forum calls may reach private or loopback addresses only when this is on
# (development and tests use local fakes); in production they are refused
# (integrations/addresses.py).
INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = env_bool(
    "INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES", default=not DEPLOYED
)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "community.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["community.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["community.api_auth.HasApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: the schema then advertises (and clients generate) JSON bodies, never forms.
    "DEFAULT_PARSER_CLASSES": ["community.api_parsers.StrictJSONParser"],
    # ASCII JSON: an error that quotes hostile input (a lone surrogate) still renders.
    "UNICODE_JSON": False,
    "DEFAULT_PAGINATION_CLASS": "community.api_pagination.Pagination",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "community.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.ApiKeyRateThrottle",
        "config.throttling.AnonymousRateThrottle",
    ],
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Community SRE API",
    "DESCRIPTION": (
        "Per-community REST API. Authenticate with `Authorization: Bearer <key>`; keys are "
        "created by moderators and carry scopes `read`, `events:write` and `moderate`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI is served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several serializers share field names ("kind", "severity") with different choices: give
    # each enum a stable name after its meaning.
    "ENUM_NAME_OVERRIDES": {
        "SpaceKindEnum": "community.models.SpaceKind",
        "IncidentSeverityEnum": "incidents.models.SevLevel",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "EventKindEnum": "community.vocabulary.EventKind",
        "ActionItemKindEnum": "incidents.postmortems.models.ActionKind",
        "BlamelessFindingStatusEnum": "incidents.postmortems.models.FindingStatus",
        "BlamelessFindingKindEnum": "incidents.postmortems.models.FindingKind",
        "PostmortemSectionKeyEnum": "incidents.postmortems.models.SECTION_CHOICES",
        "PostmortemStateEnum": "incidents.postmortems.models.PostmortemState",
        "PostmortemVisibilityEnum": "incidents.postmortems.models.Visibility",
        "PublicSummaryStateEnum": "incidents.postmortems.models.PublicSummaryState",
        "ActionItemStatusChangeEnum": "incidents.postmortems.serializers.STATUS_CHANGES",
        "LanguageCodeEnum": "community.contract.serializers.LANGUAGES",
    },
}

# --- Operations -----------------------------------------------------------------------------
# A scrape of /metrics that sends `Authorization: Bearer <METRICS_TOKEN>` also sees members-only
# communities; without it (or with no token set) /metrics tells nothing about them.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# --- Retention ------------------------------------------------------------------------------
# Days each kind of data is kept before the hourly purge (operations/retention.py), each from
# RETENTION_<KIND>_DAYS in the environment. The ledger, conduct events and timelines are kept.
RETENTION_DAYS = {
    kind: env_int(f"RETENTION_{kind.upper()}_DAYS", default)
    for kind, default in {
        "raw_delivery": 30,  # bodies and headers of processed Discourse deliveries
        "delivery_dedupe": 90,  # the delivery rows themselves: their dedupe keys
        "outbound_attempt": 30,  # attempt logs of finished forum actions and webhooks
        "clause_snapshot": 400,  # community-wide clause history (the charts)
        "space_snapshot": 35,  # per-space clause rows (only the latest is read)
        "domain_event": 30,  # dispatched outbox rows
        "recalc_run": 7,  # the budget recalculation run log
    }.items()
}
for _kind, _days in RETENTION_DAYS.items():
    if _days < 1:
        raise ImproperlyConfigured(f"RETENTION_{_kind.upper()}_DAYS must be at least 1.")
RETENTION_PURGE_BATCH_SIZE = env_int("RETENTION_PURGE_BATCH_SIZE", 1000)
# A finished game day's sandbox (its copy of the community and everything the rehearsal wrote)
# is removed this many days after the game day ended; the game day and its report are kept.
GAMEDAY_SANDBOX_RETENTION_DAYS = env_int("GAMEDAY_SANDBOX_RETENTION_DAYS", 30)
if GAMEDAY_SANDBOX_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("GAMEDAY_SANDBOX_RETENTION_DAYS must be at least 1.")

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json" if DEPLOYED else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Members per transaction in the bulk budget recalculation (a killed worker loses one chunk).
BUDGETS_RECALC_CHUNK_SIZE = env_int("BUDGETS_RECALC_CHUNK_SIZE", 10_000)
# A full recalculation of a community with more members than this is one task per chunk on the
# ``recalc`` queue, shared by every recalculating worker (``budgets.fan_out``); below, one task.
BUDGETS_RECALC_FAN_OUT_MEMBERS = env_int("BUDGETS_RECALC_FAN_OUT_MEMBERS", 50_000)

# --- Product limits -------------------------------------------------------------------------
EVENTS_BATCH_MAX = 1000
