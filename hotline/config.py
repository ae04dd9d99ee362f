"""Settings from ``HOTLINE_*`` environment variables, with safe defaults, validated at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")


class ConfigError(ValueError):
    """A setting is missing or invalid; raised before the app starts serving."""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str = field(repr=False)
    sla_policy_path: Path = DATA_DIR / "sla_policy.yaml"
    holidays_path: Path = DATA_DIR / "holidays.yaml"
    sentiment_policy_path: Path = DATA_DIR / "sentiment_policy.yaml"
    model_path: Path | None = None
    #: request bodies above this size get 413
    max_content_length: int = 1024 * 1024
    #: longest ticket text accepted, in characters
    max_text_length: int = 5000
    port: int = 5000
    #: Secure + __Host- cookies; on whenever the console is served over HTTPS (production)
    secure_cookies: bool = False
    #: a batch of sentiment items may be this large (up to 1,000 items of up to 5,000 characters)
    max_batch_bytes: int = 16 * 1024 * 1024
    #: amqp://… (RabbitMQ) or redis://…: sentiment ingestion then only stores and enqueues, and
    #: `hotline worker` processes; None: processed inline
    broker_url: str | None = None
    broker_queue: str = "hotline-sentiment"
    #: Redis only: a worker silent this long is dead and its messages go to another worker
    broker_heartbeat_ms: int = 60_000
    #: a standby scheduler tries the lock this often, and the active one checks it still holds it
    scheduler_standby_seconds: int = 10
    #: the jobs the scheduler and `hotline sweep` run (default: all of ``hotline.scheduling.jobs.JOBS``)
    scheduler_jobs: tuple[str, ...] | None = None
    #: one webhook POST may take this long (connect + answer) before it counts as failed
    webhook_timeout_seconds: float = 10.0
    #: nightly retraining: a head's held-out score may drop this much and the candidate is still promoted
    retrain_tolerance: float = 0.01
    #: nightly retraining: the labelled corpus (default: classifier/corpus)
    training_corpus: tuple[Path, ...] = ()
    #: the key sealing personal data at rest (32 bytes, base64); derived from the secret key when unset
    data_key: str | None = field(default=None, repr=False)
    #: a match review (数据比对) is due this many working days after the list was imported
    review_working_days: int = 10
    testing: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def artifact_path(self) -> Path:
        return self.model_path or self.instance_path / "model"

    def validate(self) -> None:
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ConfigError(f"HOTLINE_DATABASE_URL must be sqlite:// or postgresql://, got {self.database_url!r}")
        if len(self.secret_key) < 32:
            raise ConfigError("HOTLINE_SECRET_KEY must be at least 32 characters")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port out of range: {self.port}")
        for path in (self.sla_policy_path, self.holidays_path, self.sentiment_policy_path):
            if not path.is_file():
                raise ConfigError(f"missing data file: {path}")
        if self.scheduler_jobs is not None:
            from hotline.scheduling.jobs import JOB_IDS

            unknown = sorted(set(self.scheduler_jobs) - set(JOB_IDS))
            if unknown:
                raise ConfigError(f"HOTLINE_SCHEDULER_JOBS: unknown job(s) {', '.join(unknown)}; known: {', '.join(JOB_IDS)}")
        if not 1 <= self.scheduler_standby_seconds <= 50:
            raise ConfigError("HOTLINE_SCHEDULER_STANDBY_SECONDS must be 1..50 (a standby takes over within a minute)")
        if not 0 < self.webhook_timeout_seconds <= 60:
            raise ConfigError("HOTLINE_WEBHOOK_TIMEOUT must be more than 0 and at most 60 seconds")
        if not 0 <= self.retrain_tolerance < 1:
            raise ConfigError("HOTLINE_RETRAIN_TOLERANCE must be in [0, 1)")
        if self.data_key is not None:
            from hotline.crypto import FieldCipher

            try:
                FieldCipher.from_secret(self.data_key, self.secret_key)
            except ValueError as exc:
                raise ConfigError("HOTLINE_DATA_KEY must be 32 bytes in URL-safe base64 "
                                  "(python -c 'import secrets,base64;print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')") from exc
        if not 1 <= self.review_working_days <= 60:
            raise ConfigError("HOTLINE_REVIEW_WORKING_DAYS must be 1..60")
        if self.broker_url and not self.broker_url.startswith(("amqp://", "amqps://", "redis://", "rediss://")):
            raise ConfigError(f"HOTLINE_BROKER_URL must be amqp://… or redis://…, got {self.broker_url!r}")


def _secret_key(instance_path: Path) -> str:
    """The instance's secret key: generated once, kept in the instance folder (mode 0600)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def _number(env: Mapping[str, str], name: str, default: int | float, kind: type = int) -> Any:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from exc


def _names(raw: str | None) -> tuple[str, ...] | None:
    """A comma-separated list (None when unset)."""
    if raw is None or not raw.strip():
        return None
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def policy_paths(env: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    """The deadline policy and holiday files (readable without a database or secret key)."""
    env = os.environ if env is None else env
    return (
        Path(env.get("HOTLINE_SLA_POLICY") or DATA_DIR / "sla_policy.yaml"),
        Path(env.get("HOTLINE_HOLIDAYS") or DATA_DIR / "holidays.yaml"),
    )


def load_settings(overrides: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment, then apply ``overrides`` (field name -> value)."""
    env = os.environ if env is None else env
    instance_path = Path(env.get("HOTLINE_INSTANCE_PATH") or "instance").resolve()
    if overrides and "instance_path" in overrides:
        instance_path = Path(str(overrides["instance_path"])).resolve()
    database_url = env.get("HOTLINE_DATABASE_URL") or f"sqlite:///{instance_path / 'hotline.db'}"
    model_path = env.get("HOTLINE_MODEL_PATH")
    sla_policy_path, holidays_path = policy_paths(env)
    settings = Settings(
        instance_path=instance_path,
        database_url=database_url,
        secret_key=env.get("HOTLINE_SECRET_KEY") or "",
        sla_policy_path=sla_policy_path,
        holidays_path=holidays_path,
        model_path=Path(model_path) if model_path else None,
        max_content_length=_number(env, "HOTLINE_MAX_CONTENT_LENGTH", 1024 * 1024),
        port=_number(env, "HOTLINE_PORT", 5000),
        secure_cookies=(env.get("HOTLINE_SECURE_COOKIES") or "").lower() in ("1", "true", "yes"),
        sentiment_policy_path=Path(env.get("HOTLINE_SENTIMENT_POLICY") or DATA_DIR / "sentiment_policy.yaml"),
        max_batch_bytes=_number(env, "HOTLINE_MAX_BATCH_BYTES", 16 * 1024 * 1024),
        broker_url=env.get("HOTLINE_BROKER_URL") or None,
        broker_queue=env.get("HOTLINE_BROKER_QUEUE") or "hotline-sentiment",
        broker_heartbeat_ms=_number(env, "HOTLINE_BROKER_HEARTBEAT_MS", 60_000),
        scheduler_standby_seconds=_number(env, "HOTLINE_SCHEDULER_STANDBY_SECONDS", 10),
        scheduler_jobs=_names(env.get("HOTLINE_SCHEDULER_JOBS")),
        webhook_timeout_seconds=_number(env, "HOTLINE_WEBHOOK_TIMEOUT", 10.0, float),
        retrain_tolerance=_number(env, "HOTLINE_RETRAIN_TOLERANCE", 0.01, float),
        data_key=env.get("HOTLINE_DATA_KEY") or None,
        review_working_days=_number(env, "HOTLINE_REVIEW_WORKING_DAYS", 10),
        training_corpus=tuple(Path(p) for p in (env.get("HOTLINE_TRAINING_CORPUS") or "").split(os.pathsep) if p),
    )
    if overrides:
        settings = replace(settings, **{k: v for k, v in overrides.items() if k != "instance_path"})
    if not settings.secret_key:
        settings = replace(settings, secret_key=_secret_key(settings.instance_path))
    settings.validate()
    return settings
