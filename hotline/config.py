"""Settings from ``HOTLINE_*`` environment variables, with safe defaults, validated at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")

#: threads per web process. Python runs on one core at a time per process (the GIL) and every database call
#: hands that lock to another thread, so more threads cost more CPU per request under load; 4 leaves room for
#: a slow export beside the rest. The measurements: docs/performance.md, "Fifth round".
DEFAULT_THREADS = 4


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
    #: development | production (production refuses weak keys, plain cookies, SQLite with several workers)
    env: str = "development"
    #: web worker processes (``hotline serve --workers``, gunicorn's ``workers``); SQLite is refused above 1 in production
    workers: int = 1
    #: reverse proxies in front of the app whose X-Forwarded-For / -Proto / -Host are trusted (0: none)
    proxy_hops: int = 0
    #: who may read /metrics: these networks, or anyone with ``metrics_token`` as a bearer token
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    metrics_token: str | None = field(default=None, repr=False)
    #: shared by every worker process of one host: their request-latency counts (None: this process only)
    metrics_dir: Path | None = None
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
    #: during a key rotation: the key being replaced (base64, or "secret-key" for the derived one); read only
    data_key_previous: str | None = field(default=None, repr=False)
    #: closed tickets keep their caller's and child's personal data this many days, then it is purged (PI-5)
    retention_days: int = 1095
    #: a match review (数据比对) is due this many working days after the list was imported
    review_working_days: int = 10
    #: SQLite: how long a write waits for another process's lock before the request answers 503 (≥ 5, REL-1)
    sqlite_busy_seconds: int = 30
    #: a password older than this must be changed before any other console page (等保 定期更换)
    password_max_age_days: int = 90
    #: the audit chain's HMAC key (32 bytes, URL-safe base64); derived from the secret key when unset
    audit_key: str | None = field(default=None, repr=False)
    #: redis://… : rate-limit counters in Redis (falling back to the database while Redis is down);
    #: None: counters in the database
    rate_limit_url: str | None = None
    #: rate limits as (count, seconds): failed logins per client IP and account (below the lockout's 5, so
    #: one address can never lock an account), per client IP, per account,
    #: intake requests per API token, live-triage requests per console session
    rate_login_ip_account: tuple[int, int] = (4, 900)
    rate_login_ip: tuple[int, int] = (30, 900)
    rate_login_account: tuple[int, int] = (100, 3600)
    rate_intake_token: tuple[int, int] = (300, 60)
    rate_triage_session: tuple[int, int] = (120, 60)
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
        self._validate_deployment()
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
        if self.data_key_previous is not None:
            from hotline.crypto import FieldCipher

            try:
                FieldCipher.from_secret(self.data_key, self.secret_key, self.data_key_previous)
            except ValueError as exc:
                raise ConfigError("HOTLINE_DATA_KEY_PREVIOUS must be the previous 32-byte key in URL-safe base64, "
                                  "or secret-key (the key derived from the secret key)") from exc
        if not 30 <= self.retention_days <= 3650:
            raise ConfigError("HOTLINE_RETENTION_DAYS must be 30..3650 (days a closed ticket keeps its personal data)")
        if not 5 <= self.sqlite_busy_seconds <= 120:
            raise ConfigError("HOTLINE_SQLITE_BUSY_SECONDS must be 5..120")
        if not 1 <= self.review_working_days <= 60:
            raise ConfigError("HOTLINE_REVIEW_WORKING_DAYS must be 1..60")
        if not 1 <= self.password_max_age_days <= 3650:
            raise ConfigError("HOTLINE_PASSWORD_MAX_AGE_DAYS must be 1..3650")
        if self.audit_key is not None:
            import base64
            import binascii

            try:
                raw = base64.urlsafe_b64decode(self.audit_key.encode("ascii") + b"=" * (-len(self.audit_key) % 4))
            except (ValueError, binascii.Error):
                raw = b""
            if len(raw) != 32:
                raise ConfigError("HOTLINE_AUDIT_KEY must be 32 bytes in URL-safe base64 "
                                  "(python -c 'import secrets,base64;print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')")
        if self.rate_limit_url and not self.rate_limit_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"HOTLINE_RATE_LIMIT_URL must be redis://…, got {self.rate_limit_url!r}")
        for name in ("rate_login_ip_account", "rate_login_ip", "rate_login_account", "rate_intake_token", "rate_triage_session"):
            count, seconds = getattr(self, name)
            if not (1 <= count <= 1_000_000 and 1 <= seconds <= 86_400):
                raise ConfigError(f"HOTLINE_{name.upper().replace('RATE_', 'RATE_LIMIT_')} must be COUNT/PERIOD "
                                  "with COUNT 1..1000000 and PERIOD 1 s..24 h")
        if self.broker_url and not self.broker_url.startswith(("amqp://", "amqps://", "redis://", "rediss://")):
            raise ConfigError(f"HOTLINE_BROKER_URL must be amqp://… or redis://…, got {self.broker_url!r}")


    @property
    def production(self) -> bool:
        return self.env == "production"

    def _validate_deployment(self) -> None:
        """Production mode, the proxy and /metrics (CFG-4, SESS-1, INT-1)."""
        import ipaddress

        if self.env not in ("development", "production"):
            raise ConfigError(f"HOTLINE_ENV must be development or production, got {self.env!r}")
        if not 1 <= self.workers <= 64:
            raise ConfigError("HOTLINE_WORKERS must be 1..64")
        if not 0 <= self.proxy_hops <= 5:
            raise ConfigError("HOTLINE_PROXY_HOPS must be 0..5 (the number of reverse proxies in front of the app)")
        for network in self.metrics_allow:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigError(f"HOTLINE_METRICS_ALLOW: not an address or network: {network!r}") from exc
        if self.metrics_token is not None and len(self.metrics_token) < 32:
            raise ConfigError("HOTLINE_METRICS_TOKEN must be at least 32 characters")
        if not self.production:
            return
        if self.secret_key in EXAMPLE_SECRET_KEYS or len(set(self.secret_key)) < 10:
            raise ConfigError("生产模式拒绝启动：HOTLINE_SECRET_KEY 是文档中的示例值或过于简单 / production: "
                              "HOTLINE_SECRET_KEY is an example value; generate one (python -c 'import secrets;print(secrets.token_urlsafe(48))')")
        if not self.secure_cookies:
            raise ConfigError("生产模式拒绝启动：须经 HTTPS 提供服务并设置 HOTLINE_SECURE_COOKIES=1 / production: "
                              "HOTLINE_SECURE_COOKIES=1 is required (serve over HTTPS)")
        if self.is_sqlite and self.workers > 1:
            raise ConfigError(f"生产模式拒绝启动：SQLite 只支持单个 Web 进程（现为 {self.workers} 个），多进程请使用 PostgreSQL / "
                              f"production: SQLite with {self.workers} workers; use PostgreSQL or one worker")
        if not self.is_sqlite:
            _require_verified_tls(self.database_url)


#: example secret keys shown in docs/deploy.md and its env file: refused in production
EXAMPLE_SECRET_KEYS = frozenset({
    "change-me-to-64-random-characters-from-secrets-token-urlsafe-48",
})


def _require_verified_tls(database_url: str) -> None:
    """A PostgreSQL server on another host is reached with ``sslmode=verify-full`` (INT-1)."""
    from sqlalchemy import make_url

    url = make_url(database_url)
    host = url.host or ""
    local = host in ("", "localhost", "::1") or host.startswith("127.") or host.startswith("/")
    if not local and url.query.get("sslmode") != "verify-full":
        raise ConfigError(f"生产模式拒绝启动：远程 PostgreSQL（{host}）须使用 sslmode=verify-full / production: a remote "
                          "database needs ?sslmode=verify-full in HOTLINE_DATABASE_URL")


def _networks(raw: str | None) -> tuple[str, ...]:
    """HOTLINE_METRICS_ALLOW: comma-separated addresses or CIDR networks (default: loopback)."""
    names = _names(raw)
    return names if names is not None else ("127.0.0.1/32", "::1/128")


def _secret_key(instance_path: Path) -> str:
    """The instance's secret key: generated once, kept in the instance folder (mode 0600)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    make_private_dir(instance_path)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def make_private_dir(path: Path) -> None:
    """Create the instance folder readable by its owner only (0700); an existing one is narrowed to 0700.
    It holds the secret key, the SQLite database and the model: nobody else on the machine reads them."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


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


_PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600}


def _rate(env: Mapping[str, str], name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A rate limit written ``COUNT/PERIOD``: ``30/15m``, ``100/1h``, ``300/60`` (seconds when no unit)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    count, _, period = raw.partition("/")
    period = period.strip().lower()
    unit = _PERIOD_UNITS.get(period[-1:], None)
    try:
        seconds = int(period[:-1] if unit else period) * (unit or 1)
        return int(count), seconds
    except ValueError as exc:
        raise ConfigError(f"{name} must be COUNT/PERIOD such as 30/15m, 100/1h or 300/60, got {raw!r}") from exc


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
        env=(env.get("HOTLINE_ENV") or "development").strip().lower(),
        workers=_number(env, "HOTLINE_WORKERS", 1),
        proxy_hops=_number(env, "HOTLINE_PROXY_HOPS", 0),
        metrics_allow=_networks(env.get("HOTLINE_METRICS_ALLOW")),
        metrics_token=env.get("HOTLINE_METRICS_TOKEN") or None,
        metrics_dir=Path(env["HOTLINE_METRICS_DIR"]) if env.get("HOTLINE_METRICS_DIR") else None,
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
        data_key_previous=env.get("HOTLINE_DATA_KEY_PREVIOUS") or None,
        retention_days=_number(env, "HOTLINE_RETENTION_DAYS", 1095),
        review_working_days=_number(env, "HOTLINE_REVIEW_WORKING_DAYS", 10),
        sqlite_busy_seconds=_number(env, "HOTLINE_SQLITE_BUSY_SECONDS", 30),
        password_max_age_days=_number(env, "HOTLINE_PASSWORD_MAX_AGE_DAYS", 90),
        audit_key=env.get("HOTLINE_AUDIT_KEY") or None,
        rate_limit_url=env.get("HOTLINE_RATE_LIMIT_URL") or None,
        rate_login_ip_account=_rate(env, "HOTLINE_RATE_LIMIT_LOGIN_IP_ACCOUNT", (4, 900)),
        rate_login_ip=_rate(env, "HOTLINE_RATE_LIMIT_LOGIN_IP", (30, 900)),
        rate_login_account=_rate(env, "HOTLINE_RATE_LIMIT_LOGIN_ACCOUNT", (100, 3600)),
        rate_intake_token=_rate(env, "HOTLINE_RATE_LIMIT_INTAKE_TOKEN", (300, 60)),
        rate_triage_session=_rate(env, "HOTLINE_RATE_LIMIT_TRIAGE_SESSION", (120, 60)),
        training_corpus=tuple(Path(p) for p in (env.get("HOTLINE_TRAINING_CORPUS") or "").split(os.pathsep) if p),
    )
    if overrides:
        settings = replace(settings, **{k: v for k, v in overrides.items() if k != "instance_path"})
    if not settings.secret_key:
        if settings.production:  # the generated instance key is a development convenience (CFG-4)
            raise ConfigError("生产模式拒绝启动：未设置 HOTLINE_SECRET_KEY / production: HOTLINE_SECRET_KEY must be set "
                              "(at least 32 characters, the same on every host)")
        settings = replace(settings, secret_key=_secret_key(settings.instance_path))
    settings.validate()
    return settings
