"""A request's unit of work, and the writes a read-only one asks for.

A page that only reads runs in a read-only unit of work: on SQLite it does not queue for the write lock
behind intake, on PostgreSQL the header's badge reads in the same transaction. When such a page must
still write (showing personal data in full writes an audit row), the service hands the write to
:func:`write_after_read`; :func:`unit_of_work` runs those writes in one short write unit of work after the
view and before the response leaves, so nothing is shown that was not recorded. A view that fails, or a
write that fails, sends no data: the writes are dropped with the response, or the error answers instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from sqlalchemy.orm import Session

from hotline.web import runtime

Write = Callable[[Session], object]


def write_after_read(write: Write) -> None:
    """Have ``write(session)`` done before this request's response leaves: at once in a write unit of work, after
    the read in a read-only one (the caller need not know which)."""
    session, readonly = g.unit_of_work  # only inside unit_of_work: a write asked for elsewhere fails loudly
    if readonly:
        g.writes_after_read.append(write)
    else:
        write(session)


def unit_of_work(call: Callable[[Session], Any], *, readonly: bool) -> Any:
    """``call(session)`` in one unit of work; then the writes it asked for with :func:`write_after_read`, in
    one write unit of work committed before the result is returned."""
    db = runtime().db
    g.writes_after_read = []  # a retried attempt starts clean
    with db.transaction(readonly=readonly) as session:
        g.unit_of_work = (session, readonly)
        try:
            result = call(session)
        finally:
            del g.unit_of_work
    writes = g.pop("writes_after_read")
    if writes:
        with db.transaction() as session:
            for write in writes:
                write(session)
    return result
