"""The declarative base every domain's models share: a constraint naming convention and an aware-UTC
datetime type; ``rare``, a planner hint for a condition few rows meet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns timezone-aware UTC; refuses naive datetimes on the way in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class rare(FunctionElement[bool]):  # noqa: N801 - used like a SQL function: where(rare(Ticket.status == s))
    """A condition few rows meet. SQLite's planner keeps no histogram of a column's values, so it takes an open
    status (4,000 of a million tickets) to be as common as a category (100,000) and walks the wrong index;
    on SQLite this becomes ``likelihood(condition, 0.01)``. PostgreSQL's statistics know it: left unchanged."""

    name = "rare"  # untyped: a Boolean-typed function would be compared with 1 on SQLite, hiding the index
    inherit_cache = True


@compiles(rare)
def _rare(element: rare, compiler: Any, **kw: Any) -> str:
    (condition,) = element.clauses
    return f"({compiler.process(condition, **kw)})"


@compiles(rare, "sqlite")
def _rare_on_sqlite(element: rare, compiler: Any, **kw: Any) -> str:
    (condition,) = element.clauses
    return f"likelihood({compiler.process(condition, **kw)}, 0.01)"
