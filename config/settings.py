"""Framewise settings: one module, every deployment difference comes from the environment.

Each variable is documented in README.md ("Configuration"). Helpers in config/env.py
reject malformed values at start-up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
)
from config.media_storage import media_delivery, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("FRAMEWISE_VAR_DIR", str(BASE_DIR / "var")))
# `make run` writes var/local.env (DEBUG=1), so the command-line tools of the same checkout
# (`manage.py create_team ...`) run with the settings the server runs with. Variables set in
# the environment win; a production install has no such file (see README, "Production").
load_dotenv(VAR_DIR / "local.env", override=False)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off.")
    # Development only: a key generated once and kept in var/. Every process must share
    # it (the web server signs jobs that the worker processes verify), and it can never
    # reach production by accident, because DEBUG must be on.
    _dev_key_file = VAR_DIR / "dev-secret-key"
    if not _dev_key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        _dev_key_file.write_text(secrets.token_urlsafe(50))
        _dev_key_file.chmod(0o600)
    SECRET_KEY = _dev_key_file.read_text().strip()

# --- HTTPS: safe defaults when DEBUG is off; each can be turned off for a plain-HTTP setup ----
# Behind a TLS-terminating proxy, TRUSTED_PROXY_HEADER=1 trusts its X-Forwarded-Proto (only
# there: a client could send the header itself) and TRUSTED_PROXY_COUNT its X-Forwarded-For.
_secure = not DEBUG
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _secure)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _secure)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _secure)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _secure else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _secure)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _secure)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUSTED_PROXY_HEADER", False) else None
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# /healthz is probed over plain HTTP by Docker and load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    # The layers, lowest first (import-linter's layers contract in pyproject.toml).
    "core",
    "library",
    "search",
    "taxonomy",
    "studio",
    # Last: composes the apps above (routes, admin extras, the demo).
    "config.apps.FramewiseConfig",
]

MIDDLEWARE = [
    # First: JSON errors on the API paths for whatever the inner stack answers or raises.
    "core.middleware.ApiBoundaryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Nothing above reads a body (CSRF reads it in process_view, after every __call__ below).
    # First who, then how big: an unauthenticated write is a 401 with its body unread ...
    "core.middleware.AuthenticateBeforeBodyMiddleware",
    # ... and an upload over the limit a 413, unread.
    "library.uploads.UploadLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# --- Logins: django-axes counts failures per (username, client address) in the database ---
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
# Also per address over all user names (one password tried on many names): core/logins.py.
AXES_HANDLER = "core.logins.AddressLimitedAxesHandler"
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# The Twelve Labs SDK never follows redirects, so the API routes accept both slash
# forms themselves; redirecting would break it.
APPEND_SLASH = False

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

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write concurrently: WAL lets readers proceed,
    # IMMEDIATE transactions and a busy timeout make writers queue instead of failing.
    # The timeout is set with the job lease below (FRAMEWISE_SQLITE_BUSY_TIMEOUT).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, for the test database: the cluster test runs a real worker
    # process against it. One per test process, so concurrent runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # The zero-setup default lives in var/; SQLite will not create the folder itself.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Workers and views reach media only through `default_storage` (library/storage.py), so S3
# (django-storages) is a change of STORAGE_BACKEND and its options, not of code. With an object
# store no process needs a disk shared with another: each worker copies what it decodes to a
# temporary file of its own.
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")
STORAGES = {
    "default": media_storage(STORAGE_BACKEND),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}
FRAMEWISE_MEDIA_DELIVERY = media_delivery(STORAGE_BACKEND)
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "library.uploads.LimitedUploadHandler",  # FRAMEWISE_MAX_UPLOAD_BYTES, counted as bytes arrive
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "/admin/login/"

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # DRF's parsers, refusing what the database cannot store (NUL, NaN, Infinity).
        "core.parsers.StrictJSONParser",
        "core.parsers.StrictMultiPartParser",
        "core.parsers.StrictFormParser",
    ],
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PagePagination",
    "PAGE_SIZE": 10,
    "DEFAULT_THROTTLE_CLASSES": ["core.ratelimit.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("API_RATE_LIMIT", "600/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Framewise API",
    "DESCRIPTION": "Self-hosted video understanding: indexes, videos, tasks, search, classification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["library.api.openapi.without_v11_aliases"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "library.api.openapi.strict_compat_bodies",
    ],
    # 3.1: JSON Schema proper, so `propertyNames` (the plain metadata keys) means what it says.
    "OAS_VERSION": "3.1.0",
    # Request and response components apart, so a read-only field never appears in a request body.
    "COMPONENT_SPLIT_REQUEST": True,
    # v1.3's choice sets share field names with v1.2's (search_options, input_type): named apart.
    "ENUM_NAME_OVERRIDES": {
        "V13SearchModalityEnum": ["visual", "audio", "transcription"],
        "V13EmbedTextInputTypeEnum": ["text"],
        "V13EmbedVideoInputTypeEnum": ["video"],
    },
}

# --- Cache: shared between web and worker processes when Redis is configured ----------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Workers (django-q2) --------------------------------------------------------------
# A job may legitimately run long: indexing a 2-hour video with every option is about
# 10 minutes here (RTF ~0.08), so `timeout` leaves a wide margin. `retry` must exceed
# `timeout`, or the broker re-delivers a job that is still running. Attempts are finite:
# our own job rows decide about retries (transient errors only, core/jobs.py). A killed
# worker's job is resumed by our maintenance job once its lease expires (about a minute),
# long before django-q2 re-delivers the unacknowledged message (after `retry`); that late
# copy then finds the row done or held and does nothing, since every claim is conditional.
Q_CLUSTER = {
    # Deployments (or test runs) that share one Redis keep their queues apart by name.
    "name": env_str("WORKER_QUEUE_NAME", "framewise"),
    "workers": env_int("WORKER_PROCESSES", 2, minimum=1),
    "recycle": 50,
    "timeout": env_int("WORKER_TIMEOUT", 3600, minimum=60),
    "retry": env_int("WORKER_TIMEOUT", 3600, minimum=60) + 300,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "label": "Workers",
    "sync": env_bool("WORKER_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

# --- Framewise --------------------------------------------------------------------------
from engines.local.speech_models import DEFAULT_DETECT_LANGUAGES, SpeechPlan, parse_languages  # noqa: E402

FRAMEWISE_ENGINE = env_choice("FRAMEWISE_ENGINE", "local", {"local", "twelvelabs"})
FRAMEWISE_ENGINE_OPTIONS: dict[str, object] = (
    {
        "clip_model": env_str("FRAMEWISE_CLIP_MODEL", ""),
        "visual_concepts": env_bool("FRAMEWISE_VISUAL_CONCEPTS", True),
        "whisper_model": env_str("FRAMEWISE_WHISPER_MODEL", ""),
        "whisper_language": env_str("FRAMEWISE_WHISPER_LANGUAGE", ""),
        "speech_models": env_str("FRAMEWISE_SPEECH_MODELS", "en=tiny.en,*=base"),
        "detect_languages": env_str("FRAMEWISE_DETECT_LANGUAGES", DEFAULT_DETECT_LANGUAGES),
        "translate_speech": env_bool("FRAMEWISE_TRANSLATE_SPEECH", True),
        "model_cache": env_str("FRAMEWISE_MODEL_CACHE", str(VAR_DIR / "models")),
        "sample_fps": env_float("FRAMEWISE_SAMPLE_FPS", 1.0, minimum=0.1),
        "segment_seconds": env_float("FRAMEWISE_SEGMENT_SECONDS", 4.0, minimum=1.0),
    }
    if FRAMEWISE_ENGINE == "local"
    else {
        "api_key": env_secret("TWELVELABS_API_KEY"),
        "base_url": env_str("TWELVELABS_API_URL", "https://api.twelvelabs.io/v1.3"),
        "index_name": env_str("TWELVELABS_INDEX_NAME", "framewise"),
        "poll_interval": env_float("TWELVELABS_POLL_INTERVAL", 5.0, minimum=0.1),
        "task_timeout": env_float("TWELVELABS_TASK_TIMEOUT", 3000.0, minimum=1.0),
        "read_timeout": env_float("TWELVELABS_READ_TIMEOUT", 120.0, minimum=1.0),
        "max_retries": env_int("TWELVELABS_MAX_RETRIES", 4, minimum=0),
        "sample_fps": env_float("FRAMEWISE_SAMPLE_FPS", 1.0, minimum=0.1),
        "segment_seconds": env_float("FRAMEWISE_SEGMENT_SECONDS", 4.0, minimum=1.0),
    }
)
if FRAMEWISE_ENGINE == "local":
    for _variable, _check, _key in (
        ("FRAMEWISE_SPEECH_MODELS", SpeechPlan.parse, "speech_models"),
        ("FRAMEWISE_DETECT_LANGUAGES", parse_languages, "detect_languages"),
    ):
        try:
            _check(str(FRAMEWISE_ENGINE_OPTIONS[_key]))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{_variable}: {exc}") from None
if FRAMEWISE_ENGINE == "twelvelabs" and not FRAMEWISE_ENGINE_OPTIONS["api_key"]:
    raise ImproperlyConfigured("FRAMEWISE_ENGINE=twelvelabs needs TWELVELABS_API_KEY (or TWELVELABS_API_KEY_FILE)")
FRAMEWISE_MIN_DURATION = env_float("FRAMEWISE_MIN_DURATION", 4.0, minimum=0.0)
FRAMEWISE_MAX_DURATION = env_float("FRAMEWISE_MAX_DURATION", 7200.0, minimum=1.0)
FRAMEWISE_MIN_SIDE = env_int("FRAMEWISE_MIN_SIDE", 240, minimum=1)
FRAMEWISE_MAX_SIDE = env_int("FRAMEWISE_MAX_SIDE", 4096, minimum=16)
FRAMEWISE_MAX_UPLOAD_BYTES = env_int("FRAMEWISE_MAX_UPLOAD_BYTES", 4 * 1024**3, minimum=1)
# Chunk size of v1.3 multipart uploads (the client splits the file into chunks of this size).
FRAMEWISE_MULTIPART_CHUNK_BYTES = env_int("FRAMEWISE_MULTIPART_CHUNK_BYTES", 16 * 1024**2, minimum=1024)
# Total deadlines (not per read) for fetching a user's URL: a query image, a video download.
FRAMEWISE_URL_TIMEOUT = env_float("FRAMEWISE_URL_TIMEOUT", 30.0, minimum=1.0)
FRAMEWISE_DOWNLOAD_DEADLINE = env_float("FRAMEWISE_DOWNLOAD_DEADLINE", 1800.0, minimum=1.0)
# CIDRs or host names that user URLs may reach although they are not public (on-premise media).
FRAMEWISE_OUTBOUND_ALLOW = env_list("FRAMEWISE_OUTBOUND_ALLOW", [])
# Each kind of outbound URL has its own list (core/outbound.py): the one above is for video
# sources only. Webhook receivers' answers are shown to owners, and any viewer can send a search
# image URL, so neither reaches the private network unless listed here for that purpose.
FRAMEWISE_WEBHOOK_ALLOW = env_list("FRAMEWISE_WEBHOOK_ALLOW", [])
FRAMEWISE_SEARCH_MEDIA_ALLOW = env_list("FRAMEWISE_SEARCH_MEDIA_ALLOW", [])
# A job whose worker stopped renewing its lease for this long is resumed by the maintenance
# job; workers renew it every quarter lease, also inside long engine calls. django-q2 checks
# schedules every 30 s and runs ours at most once a minute, so a killed worker's job
# resumes at most lease + 90 s = 2 minutes after the kill (75 s on average).
FRAMEWISE_TASK_LEASE_SECONDS = env_int("FRAMEWISE_TASK_LEASE_SECONDS", 30, minimum=2)
# On SQLite a heartbeat is a write that may queue behind another connection's write transaction
# for up to the busy timeout. A lease no longer than that wait expires while a live job's
# heartbeat queues, and the maintenance job resumes a job that is still running. So the lease
# must be at least LEASE_PER_BUSY_TIMEOUT busy timeouts (beats every quarter lease then always
# land in time); the default timeout is derived from the lease, and a chosen one is checked.
LEASE_PER_BUSY_TIMEOUT = 3
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    FRAMEWISE_SQLITE_BUSY_TIMEOUT = env_float(
        "FRAMEWISE_SQLITE_BUSY_TIMEOUT", min(30.0, FRAMEWISE_TASK_LEASE_SECONDS / LEASE_PER_BUSY_TIMEOUT), minimum=0.5
    )
    if FRAMEWISE_TASK_LEASE_SECONDS < LEASE_PER_BUSY_TIMEOUT * FRAMEWISE_SQLITE_BUSY_TIMEOUT:
        raise ImproperlyConfigured(
            f"FRAMEWISE_TASK_LEASE_SECONDS ({FRAMEWISE_TASK_LEASE_SECONDS}) must be at least "
            f"{LEASE_PER_BUSY_TIMEOUT} x FRAMEWISE_SQLITE_BUSY_TIMEOUT ({FRAMEWISE_SQLITE_BUSY_TIMEOUT:g}) on SQLite: "
            "a heartbeat waiting for the database could otherwise outlive the lease of a job that is still running."
        )
    DATABASES["default"]["OPTIONS"]["timeout"] = FRAMEWISE_SQLITE_BUSY_TIMEOUT
# A waiting job nobody claimed for this long lost its broker message: it is enqueued again.
FRAMEWISE_TASK_REQUEUE_SECONDS = env_int("FRAMEWISE_TASK_REQUEUE_SECONDS", 600, minimum=60)
FRAMEWISE_WEBHOOK_DISABLE_AFTER = env_int("FRAMEWISE_WEBHOOK_DISABLE_AFTER", 5, minimum=1)
FRAMEWISE_TASK_MAX_ATTEMPTS = env_int("FRAMEWISE_TASK_MAX_ATTEMPTS", 3, minimum=1)
FRAMEWISE_PAGE_TOKEN_TTL = env_int("FRAMEWISE_PAGE_TOKEN_TTL", 3600, minimum=60)
# Where search finds vectors (search/backend.py): `memory` (each process loads an index's matrices),
# `pgvector` (PostgreSQL answers, nothing loaded; start-up error without the extension) or `auto`
# (pgvector if the database has it). The HNSW graphs' recall against speed: docs/search-at-scale.md.
FRAMEWISE_VECTOR_BACKEND = env_choice("FRAMEWISE_VECTOR_BACKEND", "auto", {"auto", "memory", "pgvector"})
FRAMEWISE_HNSW_EF_SEARCH = env_int("FRAMEWISE_HNSW_EF_SEARCH", 400, minimum=10, maximum=1000)
# Graph builds (migration 0009, rebuild_vector_graphs): denser ones buy recall on hard data.
FRAMEWISE_HNSW_M = env_int("FRAMEWISE_HNSW_M", 16, minimum=2, maximum=100)
FRAMEWISE_HNSW_EF_CONSTRUCTION = env_int("FRAMEWISE_HNSW_EF_CONSTRUCTION", 64, minimum=4, maximum=1000)
if FRAMEWISE_HNSW_EF_CONSTRUCTION < 2 * FRAMEWISE_HNSW_M:
    raise ImproperlyConfigured("FRAMEWISE_HNSW_EF_CONSTRUCTION must be at least twice FRAMEWISE_HNSW_M (pgvector).")
FRAMEWISE_PUBLIC_URL = env_str("FRAMEWISE_PUBLIC_URL", "")
# Seconds a signed media URL lives (library/media.py); it also stops when its user leaves the team.
FRAMEWISE_MEDIA_URL_TTL = env_int("FRAMEWISE_MEDIA_URL_TTL", 3600, minimum=60)

# --- Generation: gist, summaries, chapters, highlights, open prompts ------------------------
# `local` is offline and deterministic; `openai` is any OpenAI-compatible chat-completions
# server (llama.cpp, Ollama, vLLM or hosted), e.g. FRAMEWISE_OPENAI_BASE_URL=http://127.0.0.1:8080/v1.
FRAMEWISE_GENERATION_PROVIDER = env_choice("FRAMEWISE_GENERATION_PROVIDER", "local", {"local", "openai"})
FRAMEWISE_OPENAI_BASE_URL = env_str("FRAMEWISE_OPENAI_BASE_URL", "")
FRAMEWISE_OPENAI_MODEL = env_str("FRAMEWISE_OPENAI_MODEL", "")
FRAMEWISE_OPENAI_API_KEY = env_secret("FRAMEWISE_OPENAI_API_KEY")
FRAMEWISE_OPENAI_TIMEOUT = env_float("FRAMEWISE_OPENAI_TIMEOUT", 120.0, minimum=1.0)
if FRAMEWISE_GENERATION_PROVIDER == "openai" and not (FRAMEWISE_OPENAI_BASE_URL and FRAMEWISE_OPENAI_MODEL):
    raise ImproperlyConfigured(
        "FRAMEWISE_OPENAI_BASE_URL and FRAMEWISE_OPENAI_MODEL are required with FRAMEWISE_GENERATION_PROVIDER=openai."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
