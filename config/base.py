"""All settings, read from the environment with safe defaults (README lists every one)."""

import datetime
import hmac
import ipaddress
import math
import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def boolean(name: str, *, default: bool) -> bool:
    """A switch from the environment: 1/0/true/false (API.md; yes/no/on/off too). Anything else is
    refused: `DEBUG=maybe` was read as off, and the start failed on SECRET_KEY instead."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw not in BOOLEANS:
        raise ImproperlyConfigured(f"{name} must be 1/0/true/false, not {raw!r}.")
    return BOOLEANS[raw]


def number(name: str, *, default: int | float) -> int | float:
    """A count, a limit or a duration from the environment: a whole number (or, where the default
    is a fraction, any number) from 0. Anything else is refused, naming it (`abc` ended the start
    in a traceback that named nothing; -1 passed)."""
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    kind = type(default)
    try:
        value = kind(raw) if raw.isascii() else None
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < 0:
        whole = "a whole number" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {whole} from 0, not {raw!r}.")
    return value


DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
DEBUG = boolean("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY in ("", DEFAULT_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set to a unique secret value when DEBUG is off.")
# The key of the blind index by which audit events name a person (audit.services.person_index).
# Derived from SECRET_KEY unless set; set it before rotating SECRET_KEY, or events recorded
# earlier can no longer be found by the person's ID number.
ID_INDEX_KEY = env.str("ID_INDEX_KEY", default="") or hmac.new(SECRET_KEY.encode(), b"id-index", "sha256").hexdigest()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Peers whose X-Forwarded-For we believe; anyone else's header is ignored.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError:  # refused at start by every process alike, not by the server alone
        raise ImproperlyConfigured(f"TRUSTED_PROXIES must list addresses or networks, not {_proxy!r}.") from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "residence.core",
    "residence.audit",
    "residence.places",
    "residence.records",
    "residence.notifications",
    "residence.accounts",
    "residence.eligibility",
    "residence.permits",
    "residence.applications",
    "residence.registrations",
    "residence.web",
]

# One stack. The ones marked "pages only" are Django's (or ours) wrapped by
# residence.core.middleware.pages_only: requests under LEAN_PATHS skip them, since the API
# authenticates by token and the probes need nothing. Every other one runs for every request.
MIDDLEWARE = [
    "residence.core.middleware.PrivateResponsesMiddleware",
    "residence.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "residence.core.middleware.SessionMiddleware",  # pages only
    "residence.core.middleware.LocaleMiddleware",  # Django's, minus i18n_patterns() work
    "django.middleware.common.CommonMiddleware",
    "residence.core.middleware.CsrfViewMiddleware",  # pages only
    "residence.core.middleware.AuthenticationMiddleware",  # pages only
    "residence.accounts.middleware.LoginSessionMiddleware",  # pages only
    "residence.accounts.middleware.AccountLanguageMiddleware",  # pages only
    "residence.core.middleware.MessageMiddleware",  # pages only
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "residence.core.middleware.DomainErrorMiddleware",  # pages only
    "residence.core.middleware.ApiCycleMiddleware",  # frees DRF's reference cycles
]
# Path prefixes that skip the pages-only middleware: the API and the health probes.
LEAN_PATHS = ["/api/", "/healthz", "/readyz"]
# Django's check wants CsrfViewMiddleware by its exact path; residence.core.checks accepts the
# pages-only subclass and also checks CSRF_COOKIE_SECURE, which Django's would then skip.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "residence.web.context_processors.platform",
            ],
        },
    },
]

# The URL's scheme picks the engine: sqlite:///var/db.sqlite3 or postgres://user@host:5432/db.
DATABASE_URL_SHAPES = "DATABASE_URL must be sqlite:///… or postgres://user@host:5432/name, not {!r}."
with warnings.catch_warnings():  # environ's own warning of an unknown scheme names no setting
    warnings.simplefilter("ignore")
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"].get("ENGINE") not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured(DATABASE_URL_SHAPES.format(env.str("DATABASE_URL")))
if "DATABASE_URL" not in env.ENVIRON:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default must work on a fresh clone
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
        # with "database is locked" halfway through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Not kept under DEBUG: the development server serves each request on a new thread, each of
    # which would keep its connection open for the whole age (an outsider's runserver on PostgreSQL
    # held 89 idle connections and refused the next request with "too many clients").
    DATABASES["default"].setdefault("CONN_MAX_AGE", number("DB_CONN_MAX_AGE", default=0 if DEBUG else 60))
    # A health check is one more round trip before each request's first query (it halves the
    # throughput of light API calls, docs/performance.md); without it a worker whose connection
    # died fails one request and reconnects on the next.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = boolean("DB_CONN_HEALTH_CHECKS", default=False)
    if boolean("DB_PREPARED_STATEMENTS", default=True):
        # Django turns psycopg's prepared statements off. Its own client-side cursors never
        # prepare anyway; the one server-binding cursor, the token lookup of every API request
        # (accounts.selectors), is prepared after 5 uses. Turn it off behind a
        # transaction-pooling PgBouncer older than 1.21.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "residence.accounts.validators.UserAttributeSimilarityValidator"},
    {"NAME": "residence.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "residence.accounts.validators.LettersAndDigitsValidator"},
    {"NAME": "residence.accounts.validators.PlainCharactersValidator"},
]
CSRF_FAILURE_VIEW = "residence.core.views.csrf_failure"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:account"

# Sessions: the database keeps them (several workers, one truth). The LoginSession row decides
# whether a login is live: "remember me" keeps it 14 days, otherwise 30 idle minutes (and the
# cookie ends with the browser). The cookie age is only the outer bound.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = number("REMEMBER_SECONDS", default=14 * 24 * 3600)
# A session no sign-in has given its own expiry (a sign-in waiting for its SMS code, a reset) ends
# with the browser: an abandoned sign-in left a 14-day cookie on a shared computer (an outsider).
# A signed-in one sets its own: REMEMBER_SECONDS when remembered, else the browser's session.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
IDLE_TIMEOUT_SECONDS = number("IDLE_TIMEOUT_SECONDS", default=30 * 60)
REMEMBER_SECONDS = number("REMEMBER_SECONDS", default=14 * 24 * 3600)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "residence" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# A bulk declaration file of 10,000 rows (CSV, or an XLSX workbook from the web page, whose form's
# own fields are small); 10,000 rows of long names pass 1 MB. Every other request body stays under
# DATA_UPLOAD_MAX_MEMORY_SIZE.
BULK_FILE_MAX_BYTES = 5 * 1024 * 1024
LARGE_BODY_PATHS = {
    "/registration/bulk/": BULK_FILE_MAX_BYTES + 64 * 1024,
    "/api/v1/registrations/declarations/bulk": BULK_FILE_MAX_BYTES,
}
MAX_FIELD_LENGTH = 10_000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["residence.accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["residence.core.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "residence.core.api_errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "residence.core.negotiation.JSONOnlyNegotiation",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Residence permit service platform API",
    "DESCRIPTION": "REST API v1 of the residence permit service platform (API.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies apart from answers, so that a required text is said to be non-blank where it
    # is sent (minLength 1) and not where it is answered (a note may be empty).
    "COMPONENT_SPLIT_REQUEST": True,
    # OpenAPI 3.1: a field that may be null refers to its schema and to null (oneOf), which 3.0 cannot
    # say of a reference; strict validators read 3.0's `allOf` + `nullable` as never null (an outsider's
    # openapi-core refused every `person: null` and `decision: null`).
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "residence.core.schema.error_responses",
        "residence.core.schema.defaults_within_enums",
    ],
    # API.md's slugs as named enums (several answers have a `status`, each with its own slugs).
    "ENUM_NAME_OVERRIDES": {
        "ApplicationKindEnum": "residence.applications.models.Kind",
        "ApplicationStatusEnum": "residence.applications.models.Status",
        "PaymentStatusEnum": "residence.applications.models.PaymentStatus",
        "VerificationStatusEnum": "residence.applications.models.Verification.Outcome",
        "PermitStatusEnum": "residence.permits.models.Permit.Status",
        "DeliveryMethodEnum": "residence.applications.models.Delivery",
        "RelationEnum": "residence.applications.models.FamilyMember.Relation",
        "DeclarationKindEnum": "residence.registrations.models.Declaration.Kind",
        "DeclarationStatusEnum": "residence.registrations.models.Declaration.Status",
        "DeclarantTypeEnum": "residence.registrations.models.DeclarantType",
        "HousingTypeEnum": "residence.registrations.models.HousingType",
        "AccountKindEnum": "residence.accounts.models.Kind",
        "SignUpKindEnum": ["individual", "organisation"],
        "AccountStatusEnum": "residence.accounts.models.Status",
        "HoldReasonEnum": "residence.applications.api.HOLD_REASONS",
    },
}

# SMS: "file" appends to SMS_FILE and echoes to the console; "console" only echoes.
# Set but empty (a blank line of an env file) is as unset.
SMS_BACKEND = env.str("SMS_BACKEND", default="") or ("file" if DEBUG else "")
SMS_BACKEND_EXPLICIT = "SMS_BACKEND" in env.ENVIRON
SMS_FILE = env.str("SMS_FILE", default=str(VAR_DIR / "sms" / "outbox.jsonl"))
# SMS texts go out in Chinese whatever the language of the page that caused them.
SMS_LANGUAGE = "zh-hans"

# Rows per transaction of the permits' daily sweeps (permits.sweeps): each chunk commits with its
# history, audit events, messages and progress, so a crash loses at most the chunk in flight.
PERMIT_SWEEP_CHUNK = number("PERMIT_SWEEP_CHUNK", default=5000)
if not DEBUG and not SMS_BACKEND:
    raise ImproperlyConfigured("SMS_BACKEND must be set when DEBUG is off.")

# SMS the gateway refuses are retried by the sms_deliver task: after 5 s, 10 s, 20 s … (doubling,
# at most SMS_RETRY_BACKOFF_MAX_SECONDS apart), up to SMS_MAX_RETRIES times; then the row is "failed".
SMS_MAX_RETRIES = number("SMS_MAX_RETRIES", default=5)
SMS_RETRY_BACKOFF_SECONDS = number("SMS_RETRY_BACKOFF_SECONDS", default=5)
SMS_RETRY_BACKOFF_MAX_SECONDS = number("SMS_RETRY_BACKOFF_MAX_SECONDS", default=600)
# The "flaky" SMS backend (tests, drills): refuses this many sends per process (-1: every one,
# the gateway down; the one negative number taken), then delivers like "locmem".
SMS_FLAKY_FAILURES = (
    -1 if env.str("SMS_FLAKY_FAILURES", default="").strip() == "-1" else number("SMS_FLAKY_FAILURES", default=1)
)

# Background work (config/celery.py). No broker: every task runs inline, when it is queued
# (after the commit that queues it). With a broker (redis://… or amqp://…) workers run them,
# and beat runs the daily jobs. No result backend: nothing waits for a task's return value.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False  # a task's failure is its own (the row says so), not the request's
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A message is acknowledged when its task ends, so a worker that dies before finishing gives
# it back to the broker; the tasks are idempotent (sms_deliver claims its row before sending).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
DAILY_JOBS_HOUR = number("DAILY_JOBS_HOUR", default=0)
DAILY_JOBS_MINUTE = number("DAILY_JOBS_MINUTE", default=15)
CELERY_BEAT_SCHEDULE = {
    "run-daily-jobs": {
        "task": "residence.core.tasks.run_daily_jobs",
        "schedule": crontab(hour=DAILY_JOBS_HOUR, minute=DAILY_JOBS_MINUTE),
    },
    "sms-requeue-stale": {
        "task": "residence.notifications.tasks.sms_requeue_stale",
        "schedule": 10 * 60,
    },
}

# FROZEN_TODAY fixes the date (not the time) for demos and acceptance tests.
FROZEN_TODAY = env.str("FROZEN_TODAY", default="")
ALLOW_FROZEN_TODAY = boolean("ALLOW_FROZEN_TODAY", default=False)
if FROZEN_TODAY and not DEBUG and not ALLOW_FROZEN_TODAY:
    raise ImproperlyConfigured("FROZEN_TODAY is refused when DEBUG is off unless ALLOW_FROZEN_TODAY is set.")
if FROZEN_TODAY:
    try:
        frozen = datetime.date.fromisoformat(FROZEN_TODAY)
    except ValueError:
        raise ImproperlyConfigured(f"FROZEN_TODAY must be a date YYYY-MM-DD, not {FROZEN_TODAY!r}.") from None
    # The platform's dates (typed ones, the working-day calendar) lie in these years; an outsider's
    # 9999-12-31 and 0001-01-01 ended the daily jobs in a traceback.
    if not datetime.date(1949, 1, 1) <= frozen <= datetime.date(2100, 12, 31):
        raise ImproperlyConfigured(f"FROZEN_TODAY must lie between 1949-01-01 and 2100-12-31, not {FROZEN_TODAY}.")

LIMIT_SIGNUPS_PER_ADDRESS_HOUR = number("LIMIT_SIGNUPS_PER_ADDRESS_HOUR", default=20)
# How long a department's push waits while an import of the same kind is applied, before 409 with
# Retry-After: a 100,000-row import held its pushes until gunicorn killed the workers (30 s), and
# with 10 s three waiting pushes still held every worker (the site stalled 6 s). Two small pushes
# of one kind overlap for well under a second.
IMPORT_WAIT_SECONDS = number("IMPORT_WAIT_SECONDS", default=2.0)
# How long a declaration waits for a registrations import being applied, then 409: as a push's
# wait, short (an outsider's 30 declarations waiting 10 s each during a long import stalled the site).
DECLARATION_WAIT_SECONDS = number("DECLARATION_WAIT_SECONDS", default=2.0)
# Bulk files are applied one at a time: a 10,000-row file takes 5-20 s of both cores, and three at
# once ran each past gunicorn's timeout (an outsider's 500s). Another waits this long, then 409.
BULK_CONFIRM_WAIT_SECONDS = number("BULK_CONFIRM_WAIT_SECONDS", default=5.0)
# Rows of one department push: more than any body of real rows under DATA_UPLOAD_MAX_MEMORY_SIZE holds.
EXCHANGE_MAX_ROWS = 30_000
LIMIT_SMS_PER_ADDRESS_HOUR = number("LIMIT_SMS_PER_ADDRESS_HOUR", default=30)
LIMIT_SMS_PER_PHONE_DAY = number("LIMIT_SMS_PER_PHONE_DAY", default=10)
# Password-reset codes per number and day, within the 10: anyone who knows a username can ask
# for one, and an outsider's ten resets used up the number's day, so its owner could not sign in.
LIMIT_RESET_SMS_PER_PHONE_DAY = number("LIMIT_RESET_SMS_PER_PHONE_DAY", default=3)
# Username reminders per number and day, within the 10 and apart from the reset codes: an outsider
# who tried three resets before asking for the username was sent nothing.
LIMIT_REMINDER_SMS_PER_PHONE_DAY = number("LIMIT_REMINDER_SMS_PER_PHONE_DAY", default=3)
# Codes to a new number for a change of mobile, per number and day, within the 10: any account can
# name any number not yet bound.
LIMIT_CHANGE_SMS_PER_PHONE_DAY = number("LIMIT_CHANGE_SMS_PER_PHONE_DAY", default=3)
# Usernames and mobile numbers a signed-in account may find held by other accounts, per day, when
# changing its mobile or creating sub-accounts: each 409 tells that one has an account.
LIMIT_TAKEN_NUMBERS_PER_DAY = number("LIMIT_TAKEN_NUMBERS_PER_DAY", default=5)
# Usernames, document numbers and mobile numbers that did not fit at a clerk's counter change of
# mobile, per clerk and day: the desk must be no way to try ID numbers on an account.
LIMIT_COUNTER_MISMATCHES_PER_DAY = number("LIMIT_COUNTER_MISMATCHES_PER_DAY", default=10)
# Permit look-ups at a clerk's counter endorsement, per clerk and day: a counter serves the holders
# in front of it, and numbers run in sequence (an outsider walked sixty of them).
LIMIT_COUNTER_PERMIT_LOOKUPS_PER_DAY = number("LIMIT_COUNTER_PERMIT_LOOKUPS_PER_DAY", default=300)
LIMIT_LOGIN_FAILURES_PER_ADDRESS = number("LIMIT_LOGIN_FAILURES_PER_ADDRESS", default=50)
LIMIT_LOGIN_FAILURES_PER_USERNAME = number("LIMIT_LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_LOCK_SECONDS = number("LOGIN_LOCK_SECONDS", default=15 * 60)
LIMIT_REAL_NAME_FAILURES_PER_DAY = number("LIMIT_REAL_NAME_FAILURES_PER_DAY", default=5)
# Names compared with the population records on move-in declarations, per declarant and day.
LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = number("LIMIT_DECLARATION_NAME_FAILURES_PER_DAY", default=20)
LIMIT_LIMITED_CHECKS_PER_DAY = number("LIMIT_LIMITED_CHECKS_PER_DAY", default=5)
# The public permit check (number + name) from one address; it must not serve to harvest names.
LIMIT_PERMIT_CHECKS_PER_HOUR = number("LIMIT_PERMIT_CHECKS_PER_HOUR", default=30)
# The receipt QR code's check from one address: it must not serve to read applications' statuses.
LIMIT_RECEIPT_CHECKS_PER_HOUR = number("LIMIT_RECEIPT_CHECKS_PER_HOUR", default=60)
SMS_CODE_TTL_SECONDS = number("SMS_CODE_TTL_SECONDS", default=5 * 60)
SMS_CODE_MAX_TRIES = number("SMS_CODE_MAX_TRIES", default=5)
SMS_RESEND_SECONDS = number("SMS_RESEND_SECONDS", default=60)

PRIVACY_NOTICE_VERSION = "2026-11"

# The platform's public address, for receipts' QR codes (empty: the address a request came to).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
# A TrueType font (.ttf, or .ttc: its first face) embedded in the PDFs, so that a receipt prints the
# same in any viewer; default: WenQuanYi Zen Hei where Debian's fonts-wqy-zenhei put it. Empty or
# missing: ReportLab's built-in Chinese font, which is the viewer's own (not embedded).
PDF_FONT = env.str("PDF_FONT", default="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
# For the rare characters of names PDF_FONT lacks (CJK Extension B and beyond: Debian's
# fonts-babelstone-han); without it such a character is printed as its code point.
PDF_FONT_FALLBACK = env.str("PDF_FONT_FALLBACK", default="/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf")
# RULES §6: the newer guidance lets every channel's card go by courier (postage paid by the applicant).
COURIER_DELIVERY_ALLOWED = boolean("COURIER_DELIVERY_ALLOWED", default=True)
# Opening hours of the acceptance points, as told to applicants whose card is ready; empty: the
# standard hours, in the reader's language (notifications.catalogue.opening_hours).
ACCEPTANCE_POINT_HOURS = env.str("ACCEPTANCE_POINT_HOURS", default="")

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = number("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages load only the platform's own files; no inline script or style (docs/security.md).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

PLATFORM_NAME = _("Shenzhen Residence Permit Service Platform")
