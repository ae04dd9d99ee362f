"""Counting requests in fixed windows, in storage every worker shares.

- :class:`DatabaseCounters` (the default): one row per key and window, incremented by a single
  ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` in a short transaction of its own: atomic on PostgreSQL
  under any concurrency, and on SQLite because its writers run one at a time. Its commit does not wait
  for the disk (``Database.connect(durable=False)``): a count lost in a crash costs nothing.
- :class:`RedisCounters` (``HOTLINE_RATE_LIMIT_URL=redis://…``): ``INCR`` + ``EXPIRE`` in one MULTI. When
  Redis cannot be reached (0.5 s timeouts) the count goes to the database instead, and Redis is tried
  again after :data:`REDIS_RETRY_SECONDS`: a Redis outage never means "no limit". During the switch a
  window's count is split between the two stores, so a client may get up to twice its limit in that one
  window.

Fixed windows: a client may spend its limit at the end of one window and again at the start of the next
(at most twice the limit within one window's length). That is accepted for its cost.

Per-request limits (:meth:`Limiter.hit`) are counted in leases: a process claims a block of
:func:`lease_size` numbers of the window's count in one write and hands them out one per request, so the
shared store is written once per block, not once per request. Every number is handed out once, so the limit
is never exceeded however many processes share it. Numbers a process claimed but did not use by the window's
end are lost (as is a lease's rest when two of its threads claim at once), so with N processes a client may be
refused up to N × (block − 1) requests early (with the default 120 per minute, block 4: 3 per process). Once a
process has seen a number past the limit it refuses that key until the window ends without writing at all.
Failure-counted limits (logins) stay exact, one write per failure.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Executable, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hotline.db import Database
from hotline.errors import TooManyRequests
from hotline.ratelimit.models import RateCounter
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 30
REDIS_TIMEOUT_SECONDS = 0.5
#: one increment in this many also deletes the expired rows of every key
PURGE_ONE_IN = 200
#: a per-request limit's lease is this fraction of its count (at least 1)
LEASE_DIVISOR = 30
#: a process's leases are swept of ended windows once it holds this many keys
LEASES_SWEPT_AT = 1024


@dataclass(frozen=True)
class Rule:
    """At most ``count`` per ``seconds`` for one limited thing (``name``)."""

    name: str
    count: int
    seconds: int


class Counters(Protocol):
    def hit(self, key: str, window_start: int, seconds: int, amount: int = 1) -> int:
        """Add ``amount`` to the window's count and return the new count."""

    def peek(self, key: str, window_start: int, seconds: int) -> int:
        """The window's count so far."""


@functools.cache
def _upsert(dialect: str) -> Executable:
    """``INSERT … ON CONFLICT DO UPDATE SET count = count + :amount RETURNING count``, built once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = RateCounter.__table__
    stmt = insert(table).values(key=bindparam("key"), window_start=bindparam("window_start"),
                                count=bindparam("amount"), expires_at=bindparam("expires_at"))
    return stmt.on_conflict_do_update(index_elements=["key", "window_start"],
                                      set_={"count": table.c.count + stmt.excluded.count}).returning(table.c.count)


class DatabaseCounters:
    """Counters in ``rate_limit_counters``, each increment its own short unit of work on a plain connection."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def hit(self, key: str, window_start: int, seconds: int, amount: int = 1) -> int:
        expires = datetime.fromtimestamp(window_start + seconds, UTC)
        with self.db.connect(durable=False) as conn:  # a count lost in a crash costs nothing
            count = conn.execute(_upsert(conn.dialect.name), {"key": key, "window_start": window_start,
                                                               "amount": amount, "expires_at": expires}).scalar_one()
            if random.randrange(PURGE_ONE_IN) == 0:  # noqa: S311 - not security relevant
                conn.execute(delete(RateCounter).where(RateCounter.expires_at < utcnow() - timedelta(seconds=1)))
        return int(count)

    def peek(self, key: str, window_start: int, seconds: int) -> int:
        with self.db.transaction(readonly=True) as session:
            row = session.get(RateCounter, (key, window_start))
            return row.count if row is not None else 0


class RedisCounters:
    """Counters in Redis; the database counters while Redis is unreachable."""

    def __init__(self, url: str, fallback: DatabaseCounters, *, prefix: str = "hotline:rl:") -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                            socket_timeout=REDIS_TIMEOUT_SECONDS)
        self.fallback = fallback
        self._prefix = prefix
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def using_fallback(self) -> bool:
        return time.monotonic() < self._down_until

    def _redis_down(self, exc: BaseException) -> None:
        with self._lock:
            if not self.using_fallback:
                log.warning("rate-limit Redis unreachable (%s): counting in the database for %d s",
                            type(exc).__name__, REDIS_RETRY_SECONDS)
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def hit(self, key: str, window_start: int, seconds: int, amount: int = 1) -> int:
        if not self.using_fallback:
            name = f"{self._prefix}{key}:{window_start}"
            try:
                pipe = self._client.pipeline(transaction=True)
                pipe.incrby(name, amount)
                pipe.expireat(name, window_start + seconds + 1)
                count, _ = pipe.execute()
                return int(count)
            except self._errors as exc:
                self._redis_down(exc)
        return self.fallback.hit(key, window_start, seconds, amount)

    def peek(self, key: str, window_start: int, seconds: int) -> int:
        if not self.using_fallback:
            try:
                value = self._client.get(f"{self._prefix}{key}:{window_start}")
                return int(value or 0)
            except self._errors as exc:
                self._redis_down(exc)
        return self.fallback.peek(key, window_start, seconds)


def counter_key(rule: Rule, identity: str) -> str:
    """The stored key: the rule's name and a hash of the identity (an address, a username, a token's hash)."""
    return f"{rule.name}:{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:48]}"


def lease_size(rule: Rule) -> int:
    """How many of a window's numbers one write claims for a per-request limit."""
    return max(1, rule.count // LEASE_DIVISOR)


@dataclass
class _Lease:
    window_start: int
    window_end: int
    next: int
    last: int


class _Leases:
    """This process's claimed and not yet used numbers of each key's current window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, _Lease] = {}

    def take(self, key: str, window_start: int) -> int | None:
        """The next number held for the key's window, or None when none is left."""
        with self._lock:
            lease = self._held.get(key)
            if lease is None or lease.window_start != window_start or lease.next > lease.last:
                return None
            lease.next += 1
            return lease.next - 1

    def keep(self, key: str, lease: _Lease) -> None:
        with self._lock:
            if len(self._held) >= LEASES_SWEPT_AT:
                now = time.time()
                self._held = {k: held for k, held in self._held.items() if held.window_end > now}
            self._held[key] = lease


class Limiter:
    """Applies rules over shared counters. ``clock`` returns seconds since the epoch (tests move it)."""

    def __init__(self, counters: Counters, clock: Callable[[], float] = time.time) -> None:
        self.counters = counters
        self.clock = clock
        self._leases = _Leases()

    def _window(self, rule: Rule) -> tuple[int, int]:
        """The current window's start and the seconds left in it (at least 1)."""
        now = self.clock()
        start = int(now // rule.seconds) * rule.seconds
        return start, max(1, math.ceil(start + rule.seconds - now))

    def hit(self, rule: Rule, identity: str, message: str) -> None:
        """Count one request; refuse it (429) when it is over the limit. Numbers come from this process's
        lease of the window's count; a new lease is claimed when it runs out."""
        start, left = self._window(rule)
        key = counter_key(rule, identity)
        number = self._leases.take(key, start)
        if number is None:
            size = lease_size(rule)
            last = self.counters.hit(key, start, rule.seconds, size)
            number = last - size + 1
            # past the limit every later number is too: refuse the rest of the window without writing
            self._leases.keep(key, _Lease(start, start + rule.seconds, number + 1,
                                          sys.maxsize if last >= rule.count else last))
        if number > rule.count:
            raise TooManyRequests(message.format(seconds=left), retry_after=left, code="rate_limited",
                                  details={"limit": rule.name})

    def refuse_if_spent(self, rule: Rule, identity: str, message: str) -> None:
        """Refuse (429) when the window's count has reached the limit, without counting this request (the
        failure-counted limits: a login is counted only once it has failed)."""
        start, left = self._window(rule)
        if self.counters.peek(counter_key(rule, identity), start, rule.seconds) >= rule.count:
            raise TooManyRequests(message.format(seconds=left), retry_after=left, code="rate_limited",
                                  details={"limit": rule.name})

    def count(self, rule: Rule, identity: str) -> int:
        """Count one event (a failed login) and return the window's count."""
        start, _ = self._window(rule)
        return self.counters.hit(counter_key(rule, identity), start, rule.seconds)


def make_limiter(db: Database, redis_url: str | None) -> Limiter:
    """The limiter over the database, or over Redis with the database as its fallback."""
    counters = DatabaseCounters(db)
    return Limiter(RedisCounters(redis_url, counters) if redis_url else counters)
