"""Settings from the environment (12-factor). See README "Configuration"."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("GROWAPP_INSTANCE_DIR", ROOT / "instance"))


class ConfigError(RuntimeError):
    """Raised at start-up when the environment cannot run the app safely."""


def _dev_secret_key() -> str:
    """A key kept in instance/ so development sessions survive a restart."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _dev_audit_key() -> str:
    """Development only: a generated audit key next to the secret key."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "audit_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


AUDIT_KEY_MIN = 32


class Config:
    ENV = "development"
    TESTING = False
    SECRET_KEY: str | None = None
    AUDIT_KEY: str | None = None  # keys the audit chain's hashes; never stored in the database
    AUDIT_KEY_PREVIOUS: tuple = ()  # keys before a rotation, oldest first (verify only)
    AUDIT_CHECKPOINT_FILE: str | None = None  # default: <instance>/audit-checkpoints.jsonl
    DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'growapp.db'}"
    PUBLIC_BASE_URL: str | None = None
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    STORAGE_BACKEND = "local"
    S3_BUCKET: str | None = None
    S3_ENDPOINT_URL: str | None = None
    S3_REGION: str | None = None
    S3_PREFIX = ""
    MAX_UPLOAD_MB = 16
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM = "growapp@localhost"
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_MAX_FAILURES_PER_IP = 50
    LOGIN_MAX_DELAY_SECONDS = 60  # the per-account delay grows 1, 2, 4 … up to this
    SESSION_IDLE_HOURS = 12  # a sign-in without "keep me signed in" ends after this idle
    REMEMBER_DAYS = 30  # "keep me signed in": the sign-in and its cookie last this long
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    RESET_LINK_HOURS = 1
    TRUSTED_PROXIES = 0  # proxy hops whose X-Forwarded-For/-Proto are believed
    INVITE_DAYS = 7
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_CHECK_DEFAULT = False  # checked in one before_request hook (API tokens skip it)
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    SQL_ECHO = False
    REDIS_URL: str | None = None  # set: jobs go to RQ on Redis (flask worker runs them)
    JOB_QUEUE = "growapp"
    JOB_WORKERS = 1  # embedded pool: worker processes of each web process
    JOB_FILE_TTL_HOURS = 24.0
    PDF_CONCURRENCY = 1  # label PDFs rendered in requests at a time on this server
    RENDER_SLOTS_DIR = str(INSTANCE_DIR / "render-slots")  # their lock files (flock)
    TIMEZONE: str | None = None  # IANA name; unset → UTC (the admin page asks to set it)
    MQTT_URL = "mqtt://127.0.0.1:1883"
    MQTT_TOPIC_PREFIX = "growapp"
    READINGS_KEEP_DAYS = 90.0  # raw readings; hourly roll-ups are kept for good
    DIGEST_HOUR = 7  # local hour (GROWAPP_TIMEZONE) from which the daily digest is sent

    @classmethod
    def from_env(cls) -> dict:
        env = os.environ
        settings: dict = {}
        settings["ENV"] = env.get("GROWAPP_ENV", cls.ENV)
        if settings["ENV"] not in ("development", "production"):
            raise ConfigError("GROWAPP_ENV must be 'development' or 'production'")
        production = settings["ENV"] == "production"
        key = env.get("GROWAPP_SECRET_KEY")
        if not key:
            if production:
                raise ConfigError("GROWAPP_SECRET_KEY is required when GROWAPP_ENV=production")
            key = _dev_secret_key()
        settings["SECRET_KEY"] = key
        audit_key = env.get("GROWAPP_AUDIT_KEY", "").strip()
        if not audit_key:
            if production:
                raise ConfigError("GROWAPP_AUDIT_KEY is required when GROWAPP_ENV=production "
                                  "(it keys the audit log's hashes; keep it out of the "
                                  "database and its backups)")
            audit_key = _dev_audit_key()
        elif len(audit_key) < AUDIT_KEY_MIN:
            raise ConfigError(f"GROWAPP_AUDIT_KEY must be at least {AUDIT_KEY_MIN} characters "
                              "(python3 -c 'import secrets; print(secrets.token_hex(32))')")
        settings["AUDIT_KEY"] = audit_key
        previous = tuple(k.strip() for k in env.get("GROWAPP_AUDIT_KEY_PREVIOUS", "")
                         .split(",") if k.strip())
        if any(len(k) < AUDIT_KEY_MIN for k in previous):
            raise ConfigError("GROWAPP_AUDIT_KEY_PREVIOUS holds the earlier audit keys, "
                              "oldest first, comma-separated, each as long as a key")
        settings["AUDIT_KEY_PREVIOUS"] = previous
        if env.get("GROWAPP_AUDIT_CHECKPOINT_FILE"):
            settings["AUDIT_CHECKPOINT_FILE"] = env["GROWAPP_AUDIT_CHECKPOINT_FILE"]
        settings["DATABASE_URL"] = env.get("GROWAPP_DATABASE_URL", cls.DATABASE_URL)
        settings["PUBLIC_BASE_URL"] = (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
        settings["UPLOAD_DIR"] = env.get("GROWAPP_UPLOAD_DIR", cls.UPLOAD_DIR)
        settings.update(_storage_settings(env))
        try:
            settings["MAX_UPLOAD_MB"] = int(env.get("GROWAPP_MAX_UPLOAD_MB", cls.MAX_UPLOAD_MB))
        except ValueError as exc:
            raise ConfigError("GROWAPP_MAX_UPLOAD_MB must be a whole number") from exc
        settings["SESSION_COOKIE_SECURE"] = production
        settings["REMEMBER_COOKIE_SECURE"] = production
        for name in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM"):
            if env.get(f"GROWAPP_{name}"):
                settings[name] = env[f"GROWAPP_{name}"]
        settings["LABELS_ALLOW_LOCALHOST"] = env.get("GROWAPP_LABELS_ALLOW_LOCALHOST", "") \
            .lower() in ("1", "true", "yes")
        if env.get("GROWAPP_LABELS_RENDER_WORKERS"):
            settings["LABELS_RENDER_WORKERS"] = int(env["GROWAPP_LABELS_RENDER_WORKERS"])
        if env.get("GROWAPP_REDIS_URL"):
            settings["REDIS_URL"] = env["GROWAPP_REDIS_URL"].strip()
        if env.get("GROWAPP_JOB_QUEUE"):
            settings["JOB_QUEUE"] = env["GROWAPP_JOB_QUEUE"].strip()
        try:
            if env.get("GROWAPP_JOB_WORKERS"):
                settings["JOB_WORKERS"] = int(env["GROWAPP_JOB_WORKERS"])
            if env.get("GROWAPP_JOB_FILE_TTL_HOURS"):
                settings["JOB_FILE_TTL_HOURS"] = float(env["GROWAPP_JOB_FILE_TTL_HOURS"])
            if env.get("GROWAPP_PDF_CONCURRENCY"):
                settings["PDF_CONCURRENCY"] = int(env["GROWAPP_PDF_CONCURRENCY"])
        except ValueError as exc:
            raise ConfigError("GROWAPP_JOB_WORKERS, GROWAPP_JOB_FILE_TTL_HOURS and "
                              "GROWAPP_PDF_CONCURRENCY must be numbers") from exc
        settings["TIMEZONE"] = (env.get("GROWAPP_TIMEZONE") or "").strip() or None
        try:
            settings["TRUSTED_PROXIES"] = int(env.get("GROWAPP_TRUSTED_PROXIES") or 0)
        except ValueError as exc:
            raise ConfigError("GROWAPP_TRUSTED_PROXIES must be a whole number of proxy hops "
                              "(0 = trust no X-Forwarded-* header)") from exc
        if settings["TRUSTED_PROXIES"] < 0:
            raise ConfigError("GROWAPP_TRUSTED_PROXIES cannot be negative")
        settings.update(_environment_settings(env))
        settings.update(_digest_settings(env))
        if env.get("GROWAPP_SMTP_PORT"):
            settings["SMTP_PORT"] = int(env["GROWAPP_SMTP_PORT"])
        return settings


def _environment_settings(env) -> dict:
    settings: dict = {}
    if env.get("GROWAPP_MQTT_URL"):
        settings["MQTT_URL"] = env["GROWAPP_MQTT_URL"].strip()
    if env.get("GROWAPP_READINGS_KEEP_DAYS"):
        try:
            settings["READINGS_KEEP_DAYS"] = float(env["GROWAPP_READINGS_KEEP_DAYS"])
        except ValueError as exc:
            raise ConfigError("GROWAPP_READINGS_KEEP_DAYS must be a number of days "
                              "(0 keeps raw readings for good)") from exc
    return settings


def _digest_settings(env) -> dict:
    raw = (env.get("GROWAPP_DIGEST_HOUR") or "").strip()
    if not raw:
        return {}
    try:
        hour = int(raw)
    except ValueError:
        hour = -1
    if not 0 <= hour <= 23:
        raise ConfigError("GROWAPP_DIGEST_HOUR must be a whole hour from 0 to 23 (local time "
                          "in GROWAPP_TIMEZONE)")
    return {"DIGEST_HOUR": hour}


def _storage_settings(env) -> dict:
    backend = (env.get("GROWAPP_STORAGE") or "local").strip().lower()
    if backend not in ("local", "s3"):
        raise ConfigError("GROWAPP_STORAGE must be 'local' or 's3'")
    settings = {"STORAGE_BACKEND": backend}
    for name in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_PREFIX"):
        value = (env.get(f"GROWAPP_{name}") or "").strip()
        if value:
            settings[name] = value
    if backend == "s3" and not settings.get("S3_BUCKET"):
        raise ConfigError("GROWAPP_STORAGE=s3 needs GROWAPP_S3_BUCKET (the bucket that holds "
                          "photos and generated files)")
    return settings


def build_settings(overrides: dict | None = None) -> dict:
    settings = {k: v for k, v in vars(Config).items() if k.isupper()}
    settings.update(Config.from_env())
    settings.update(overrides or {})
    settings["MAX_CONTENT_LENGTH"] = int(settings["MAX_UPLOAD_MB"]) * 1024 * 1024
    settings["TZINFO"] = _zone(settings.get("TIMEZONE"))
    settings["REMEMBER_COOKIE_DURATION"] = timedelta(days=int(settings["REMEMBER_DAYS"]))
    return settings


def _zone(name: str | None):
    from .services.clock import UnknownZone, load_zone

    try:
        return load_zone(name)
    except UnknownZone as exc:
        raise ConfigError(
            f"GROWAPP_TIMEZONE={name!r} is not a time zone name. Use an IANA name such as "
            "Europe/Berlin, America/Los_Angeles or Pacific/Auckland (or leave it unset for "
            "UTC).") from exc
