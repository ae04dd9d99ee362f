"""``hotline key rotate``: re-seal every sealed column under the current data key and recompute its digest.

Every ``*_sealed`` column of every mapped table is found from the metadata (the suffix is the convention:
children's and guardians' ID numbers and phones, agency records, tickets' caller data, users' TOTP secrets,
API tokens' signing secrets …). Its ``*_digest`` column, when there is one, is recomputed from the opened
value, normalised first where the digest is of a normalised value (``NORMALISERS``).

Resumable, not all-or-nothing: each batch of rows is its own short transaction (the console keeps working,
and SQLite's write lock is never held for long), and since every sealed value names its key, a rerun after an
interruption only touches the rows still sealed with an old key. The cipher opens old values with
``HOTLINE_DATA_KEY_PREVIOUS`` all along, and lookups try the digests under both keys, so the application
keeps working during the rotation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from sqlalchemy import Column, MetaData, Table, func, select, tuple_

from hotline.crypto import FieldCipher
from hotline.db import Database
from hotline.tickets.personal import address_key, phone_key

BATCH = 500
#: digests of a normalised value: "table.column prefix" -> the normaliser applied before hashing
NORMALISERS: dict[str, Callable[[str | None], str | None]] = {
    "tickets.caller_phone": phone_key,
    "tickets.address": address_key,
}


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    sealed: Column
    digest: Column | None

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.sealed.name}"

    def normalise(self, value: str | None) -> str | None:
        return NORMALISERS.get(f"{self.table.name}.{self.sealed.name.removesuffix('_sealed')}", lambda v: v)(value)


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    """Every ``*_sealed`` column of the metadata, with its ``*_digest`` sibling if any."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_sealed"):
                digest = table.columns.get(column.name.removesuffix("_sealed") + "_digest")
                found.append(SealedColumn(table, column, digest))
    return found


@dataclass
class RotationReport:
    key_id: str
    #: "table.column" -> values re-sealed in this run
    resealed: dict[str, int] = field(default_factory=dict)
    #: values still sealed with another key after the run (0 once the rotation is over)
    remaining: int = 0


def _stale(col: SealedColumn, cipher: FieldCipher) -> object:
    return col.sealed.is_not(None) & col.sealed.not_like(f"v2:{cipher.key_id}:%")


def remaining(db: Database, cipher: FieldCipher, metadata: MetaData) -> dict[str, int]:
    """How many values each sealed column still holds under another key than the current one."""
    counts = {}
    with db.transaction(readonly=True) as session:
        for col in sealed_columns(metadata):
            counts[col.name] = session.scalar(select(func.count()).select_from(col.table).where(_stale(col, cipher)))
    return counts


def _batches(db: Database, col: SealedColumn, cipher: FieldCipher) -> Iterator[int]:
    keys = list(col.table.primary_key.columns)
    after: tuple | None = None
    while True:
        with db.transaction() as session:
            stmt = select(*keys, col.sealed).where(_stale(col, cipher)).order_by(*keys).limit(BATCH)
            if after is not None:
                stmt = stmt.where(tuple_(*keys) > tuple_(*after)) if len(keys) > 1 else stmt.where(keys[0] > after[0])
            rows = session.execute(stmt).all()
            if not rows:
                return
            for row in rows:
                pk, token = row[:-1], row[-1]
                try:
                    value = cipher.open(token)
                except (ValueError, InvalidTag):
                    raise ValueError(f"{col.name} 中有值无法用已配置的密钥解密：请把原来的密钥设为 "
                                     "HOTLINE_DATA_KEY_PREVIOUS 后重新运行（已轮换的部分不会重复处理）") from None
                values = {col.sealed.name: cipher.seal(value)}
                if col.digest is not None:
                    values[col.digest.name] = cipher.digest(col.normalise(value))
                session.execute(col.table.update().where(*(k == v for k, v in zip(keys, pk, strict=True)))
                                .values(**values))
            after = tuple(rows[-1][:-1])
        yield len(rows)


def rotate(db: Database, cipher: FieldCipher, metadata: MetaData,
           progress: Callable[[str, int], None] | None = None) -> RotationReport:
    """Re-seal every value not sealed with ``cipher``'s current key (see the module docstring).
    ValueError when a value opens with none of the keys (HOTLINE_DATA_KEY_PREVIOUS is missing or wrong)."""
    report = RotationReport(cipher.key_id)
    for col in sealed_columns(metadata):
        done = 0
        for count in _batches(db, col, cipher):
            done += count
            if progress:
                progress(col.name, done)
        if done:
            report.resealed[col.name] = done
    report.remaining = sum(remaining(db, cipher, metadata).values())
    return report
