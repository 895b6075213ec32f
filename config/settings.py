"""Fanfare settings: one module, driven by environment variables (12-factor).

Every variable is listed in README.md. Without any of them Fanfare runs on its embedded
defaults: SQLite, local media folders, Celery tasks in-process, local-memory cache, console mail.
Production only hardens these values; it adds no features.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-fanfare-development-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute origin used in e-mails and the embed document's permalinks.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
VAR_DIR = Path(env.str("FANFARE_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "csp",
    "allauth",
    "allauth.account",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "activity",
    "accounts",
    "campaigns",
    "submissions",
    "moderation",
    "widget",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the CSRF check, which reads the body: oversized bodies are refused unread.
    "config.limits.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.api.ApiCacheControlMiddleware",  # outside the outage answers, so a 503 is not stored either
    "config.outages.ServiceOutageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

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
                "accounts.context_processors.console",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'fanfare.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # A kept connection is checked before a request reuses it: after a database restart the first
    # request reconnects instead of failing.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# How many proxies in front of Fanfare append to X-Forwarded-For; only those entries are trusted
# (0: the header is ignored and the peer address is the client). Used by every per-client limit.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"

# --- Mail -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Fanfare <noreply@fanfare.localhost>")

# --- Cache and background work ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker the tasks run in the web process, so `make run` needs nothing else.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this many seconds; longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "publish-due-features": {"task": "moderation.tasks.publish_due_features", "schedule": 300.0},
    "requeue-stuck-entries": {"task": "submissions.tasks.requeue_stuck_entries", "schedule": 600.0},
    "send-pending-mail": {"task": "moderation.tasks.send_pending_mail", "schedule": 60.0},
    "compact-tallies": {"task": "submissions.tasks.compact_tallies", "schedule": 60.0},
    # Decisions take effect from a task queued for the second their undo window ends; this
    # catches any whose task was lost (a broker outage, a killed worker).
    "apply-due-decisions": {"task": "moderation.tasks.apply_due_decisions", "schedule": 5.0},
}

# --- Moderation ------------------------------------------------------------------------------
# A decision takes effect this many seconds after it is made (the moderator's undo window).
MODERATION_UNDO_SECONDS = min(30, max(5, env.int("MODERATION_UNDO_SECONDS", default=10)))
# With tasks in-process (`make run`) a timer thread applies decisions when their window ends;
# the tests turn it off and apply them explicitly.
MODERATION_APPLY_TIMER = env.bool("MODERATION_APPLY_TIMER", default=CELERY_TASK_ALWAYS_EAGER)
# Distinct reporters within 24 hours that hide a public entry until a moderator looks at it
# (reports of a depicted person or a minor, and reports by the brand's members, hide at once).
REPORTS_TO_HIDE = max(2, env.int("REPORTS_TO_HIDE", default=3))
# How long after a rejection or removal a fan may appeal it (six months: the EU Digital
# Services Act's minimum for complaint handling).
APPEAL_WINDOW_DAYS = max(183, env.int("APPEAL_WINDOW_DAYS", default=183))

# --- Media storage ----------------------------------------------------------------------------
# Originals are private; renditions of public entries and the widget's feature documents are
# public. With S3 configured both live in buckets (the public one behind a CDN); otherwise in
# two local folders, the public one served by Django at MEDIA_URL.
S3_PRIVATE_BUCKET = env.str("S3_PRIVATE_BUCKET", default="")
S3_PUBLIC_BUCKET = env.str("S3_PUBLIC_BUCKET", default="")
USE_S3 = bool(S3_PRIVATE_BUCKET and S3_PUBLIC_BUCKET)
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media" / "private"
PUBLIC_MEDIA_ROOT = VAR_DIR / "media" / "public"
if USE_S3:
    _s3_common = {
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "signature_version": "s3v4",
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
    }
    _public_domain = env.str("S3_PUBLIC_CUSTOM_DOMAIN", default="")
    STORAGES_MEDIA = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3_common,
                "bucket_name": S3_PRIVATE_BUCKET,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
        "public": {
            # Sets Cache-Control per object: short for feature documents, an hour for renditions.
            "BACKEND": "submissions.storage_backends.PublicS3Storage",
            "OPTIONS": {
                **_s3_common,
                "bucket_name": S3_PUBLIC_BUCKET,
                "querystring_auth": False,
                "file_overwrite": True,
                "custom_domain": _public_domain or None,
                "url_protocol": env.str("S3_PUBLIC_URL_PROTOCOL", default="https:"),
            },
        },
    }
else:
    STORAGES_MEDIA = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(MEDIA_ROOT),
                # Never served: private files are reached through signed URLs only.
                "base_url": "/private-media-is-not-served/",
            },
        },
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(PUBLIC_MEDIA_ROOT),
                "base_url": f"{SITE_URL}{MEDIA_URL}",
                "allow_overwrite": True,
            },
        },
    }
STORAGES = {
    **STORAGES_MEDIA,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Upload slots a fan, and a client address, may hold open at once (unfinished, not yet expired).
UPLOAD_SLOTS_PER_FAN = env.int("UPLOAD_SLOTS_PER_FAN", default=5)
UPLOAD_SLOTS_PER_CLIENT = env.int("UPLOAD_SLOTS_PER_CLIENT", default=30)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to a temporary file
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # every body but a file upload (config/limits.py)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 2

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated API request gets 401 with `WWW-Authenticate: Token` (a session
        # without a valid CSRF token still gets 403).
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "config.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.ApiSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    # Only views that name a scope are throttled; `token` slows password guessing.
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
    # Client address for throttles: X-Forwarded-For only as far as our own proxies vouch for it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# API tokens (django-rest-knox): hashed at rest, expiring; see accounts/tokens.py.
# knox's own migrations create its default table even when the model is swapped for ours; that
# orphan table's foreign key to users would stop PostgreSQL from truncating them (flush). Its
# model is swapped out, so it needs no table at all.
MIGRATION_MODULES = {"knox": None}
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model name, not a secret
REST_KNOX = {"TOKEN_TTL": dt.timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)), "AUTO_REFRESH": False}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fanfare API",
    "DESCRIPTION": "Campaigns, entries, moderation and weekly features.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Choice sets whose field names ("kind", "action") other operations also use.
    "ENUM_NAME_OVERRIDES": {
        "EntryKindEnum": "submissions.models.EntryKind",
        "RuleKindEnum": "moderation.models.RuleKind",
        "RuleActionEnum": "moderation.models.RuleAction",
    },
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security (production hardens through the environment) -----------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


# --- Content-Security-Policy (django-csp) ----------------------------------------------------
# Strict: scripts and styles only from our origin or carrying the page's nonce; no inline
# handlers, no plugins, no <base>, forms post only to us, nobody frames us (the gallery frame
# widens frame-ancestors to the campaign's embed origins). Media may come from the storage's
# origin (S3/CDN) and the browser uploads straight to the private bucket.
def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


_STORAGE_ORIGINS: list[str] = []
_public_domain = env.str("S3_PUBLIC_CUSTOM_DOMAIN", default="") if USE_S3 else ""
if USE_S3:
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    _STORAGE_ORIGINS = [_origin(_endpoint)] if _endpoint else ["https://*.amazonaws.com"]
    if _endpoint and env.str("AWS_S3_ADDRESSING_STYLE", default="path") == "virtual":
        # bucket.host: the browser uploads to and reads from the buckets' own host names.
        _STORAGE_ORIGINS.append(_origin(_endpoint).replace("://", "://*.", 1))
    if _public_domain:
        _STORAGE_ORIGINS.append(f"{env.str('S3_PUBLIC_URL_PROTOCOL', default='https:')}//{_public_domain}")
_SITE_ORIGIN = _origin(SITE_URL)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", _SITE_ORIGIN, *_STORAGE_ORIGINS],
        "media-src": [SELF, _SITE_ORIGIN, *_STORAGE_ORIGINS],
        "connect-src": [SELF, *_STORAGE_ORIGINS],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "frame-src": [SELF],
    },
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
