"""The audit trail of sensitive reads and writes (logins, unmasked views, reveals, exports, administration):
who, when, what, on what basis, from where, with what outcome; never the personal data itself.

Rows are written in the caller's transaction (AUD-2: if the audit row cannot be written, the change it
records rolls back with it) and are append-only (AUD-3):

- the ORM refuses to update or delete an ``AuditEntry`` (:class:`AuditAppendOnly`), one by one or in bulk;
- the database refuses it too: triggers on ``audit_log`` (migration 0012; PostgreSQL also refuses TRUNCATE);
- each row carries ``chain`` = HMAC-SHA256(audit key, previous row's chain + this row's canonical content),
  so someone with direct database access who edits, removes or slips in a row is found by
  :func:`verify_chain` (``hotline audit verify``). Appends are serialized (a PostgreSQL advisory lock
  held to the end of the transaction; SQLite writers already run one at a time), so concurrent writers
  never fork the chain. The cost per row: one indexed read of the last row's chain and one HMAC.

The audit key is ``HOTLINE_AUDIT_KEY`` or, when unset, derived from the secret key; every process that
writes audit rows registers it for its engine (:func:`use_key`, called by the ``Runtime``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, Pool, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import AuditEntry
from hotline.db import serialize
from hotline.timeutil import utcnow

#: the advisory-lock key that serializes appends to the chain (PostgreSQL)
CHAIN_LOCK = 0x4155_4449_54  # "AUDIT"
OUTCOMES = ("ok", "denied", "failed")
_DENIED_EVENTS = ("lockout",)
#: keyed by the engine's connection pool, which the read-only variant of an engine (execution options) shares
_KEYS: weakref.WeakKeyDictionary[Pool, bytes] = weakref.WeakKeyDictionary()


class AuditAppendOnly(RuntimeError):
    """Somebody tried to change or remove an audit row: the trail is append-only."""


class AuditKeyMissing(RuntimeError):
    """An audit row was about to be written through an engine with no audit key registered."""


def audit_key(audit_key_setting: str | None, secret_key: str) -> bytes:
    """The HMAC key of the chain: ``HOTLINE_AUDIT_KEY`` (URL-safe base64 of 32 bytes, validated in config)
    or a key derived from the secret key under its own label (never the data key: rotating that key
    must not break the chain)."""
    if audit_key_setting:
        import base64

        return base64.urlsafe_b64decode(audit_key_setting.encode("ascii") + b"=" * (-len(audit_key_setting) % 4))
    return hashlib.sha256(b"hotline-audit-key:" + secret_key.encode("utf-8")).digest()


def use_key(engine: Engine, key: bytes) -> None:
    """Register the audit key for every session bound to ``engine`` (the Runtime does this once)."""
    _KEYS[engine.pool] = key


def _key_for(session: Session) -> bytes:
    key = _KEYS.get(session.get_bind().engine.pool)
    if key is None:
        raise AuditKeyMissing("no audit key registered for this database (build a Runtime first)")
    return key


def record_audit(
    session: Session,
    actor: Actor,
    event: str,
    object_ref: str | None,
    detail: str | None,
    source_ip: str | None,
    *,
    reason: str | None = None,
    outcome: str | None = None,
) -> AuditEntry:
    return record_event(session, actor.label, actor.role.value, event, object_ref=object_ref, detail=detail,
                        source_ip=source_ip, reason=reason, outcome=outcome)


def record_event(
    session: Session,
    actor_label: str,
    actor_role: str,
    event: str,
    *,
    object_ref: str | None = None,
    detail: str | None = None,
    source_ip: str | None = None,
    reason: str | None = None,
    outcome: str | None = None,
) -> AuditEntry:
    """An audit row, also for someone who is not (yet) an actor: a login attempt names the username it tried.
    ``outcome`` defaults to ``denied`` for ``*_failure`` / ``*_denied`` events and lockouts, else ``ok``."""
    if outcome is None:
        outcome = "denied" if event.endswith(("_failure", "_denied")) or event in _DENIED_EVENTS else "ok"
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    key = _key_for(session)
    entry = AuditEntry(at=utcnow(), actor=actor_label[:96], actor_role=actor_role[:16], event=event[:32],
                       object_ref=object_ref and object_ref[:64], detail=detail, source_ip=source_ip and source_ip[:64],
                       reason=(reason or None) and reason[:200], outcome=outcome)
    serialize(session, CHAIN_LOCK)  # held until commit: the next writer reads this row as its predecessor
    entry.chain = _link(key, _previous_link(session), entry)
    session.add(entry)
    session.flush()
    return entry


def _previous_link(session: Session) -> str:
    """The chain value the next row continues from: the last row's chain, or the genesis string."""
    last = session.execute(select(AuditEntry.id, AuditEntry.chain).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None:
        return _genesis(0, 0)
    if last.chain is not None:
        return last.chain
    # the first chained row after rows written before the chain existed: it vouches for how many there were
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return _genesis(count, last.id)


def _genesis(legacy_rows: int, last_legacy_id: int) -> str:
    return f"genesis:{legacy_rows}:{last_legacy_id}"


def canonical(entry: Any) -> bytes:
    """The row's content as the chain sees it (an ``AuditEntry`` or a plain row of ``audit_log``): every
    column but ``id`` and ``chain``, in a fixed order."""
    at = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [at, entry.actor, entry.actor_role, entry.event, entry.object_ref, entry.detail, entry.reason,
              entry.source_ip, entry.outcome]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _link(key: bytes, previous: str, entry: Any) -> str:
    return hmac.new(key, previous.encode("ascii") + b"\n" + canonical(entry), hashlib.sha256).hexdigest()


# --- verification ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify_chain`` found: ``ok``, how many rows were checked, and the first broken row."""

    ok: bool
    checked: int
    #: rows written before the chain existed (a prefix; their number is vouched for by the first chained row)
    legacy: int
    #: the last row's chain value: recorded elsewhere (a backup manifest), it also reveals a removed tail
    head: str | None
    broken_id: int | None = None
    #: why ``broken_id`` is broken, in Chinese
    problem: str | None = None

    def message(self) -> str:
        if self.ok:
            text = f"审计链完整：已校验 {self.checked} 条记录"
            if self.legacy:
                text += f"（另有 {self.legacy} 条为启用审计链之前写入，未纳入链）"
            return text
        return f"审计链被破坏：第一条异常记录 ID {self.broken_id}（{self.problem}）"


_BATCH = 5000


def verify_chain(session: Session, *, key: bytes | None = None) -> VerifyResult:
    """Walk the whole trail in id order and recompute every link; stop at the first row that does not fit
    (edited, inserted out of chain, or following a removed row). Reads plain rows in batches (nothing enters
    the session's identity map), so memory stays flat and the caller's session is untouched."""
    key = key or _key_for(session)
    table = AuditEntry.__table__
    legacy = checked = last_legacy_id = last_id = 0
    previous: str | None = None
    while True:
        rows = session.execute(select(table).where(table.c.id > last_id).order_by(table.c.id).limit(_BATCH)).all()
        if not rows:
            break
        for row in rows:
            last_id = row.id
            if row.chain is None:
                if previous is not None:
                    return VerifyResult(False, checked, legacy, previous, row.id, "记录不在链中（缺少链值）")
                legacy, last_legacy_id = legacy + 1, row.id
                continue
            if previous is None:
                previous = _genesis(legacy, last_legacy_id)
            if not hmac.compare_digest(row.chain, _link(key, previous, row)):
                return VerifyResult(False, checked, legacy, previous, row.id,
                                    "内容被修改、前一条记录被删除，或记录被插入链外")
            previous = row.chain
            checked += 1
    return VerifyResult(True, checked, legacy, previous)


# --- the ORM guard -----------------------------------------------------------------------------------------


def _refuse(*_args: object) -> None:
    raise AuditAppendOnly("审计日志只能追加，不能修改或删除")


event.listen(AuditEntry, "before_update", _refuse)
event.listen(AuditEntry, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    """``update(AuditEntry)`` / ``delete(AuditEntry)`` executed through a session."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is AuditEntry:
        _refuse()
