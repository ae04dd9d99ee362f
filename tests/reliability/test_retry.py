"""REL-4: a unit of work PostgreSQL aborts as a serialization failure (40001) or a deadlock victim (40P01) runs
again from the start, at most 3 more times, and then fails as "unavailable" (503 with Retry-After at the web
edge); any other database error is not retried and stays a server error. The errors are raised by a real
PostgreSQL server (``RAISE … USING ERRCODE``), not imitated."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests_support import BACKEND, TEST_DB_URL

from hotline.db import RETRY_ATTEMPTS, Database, is_unavailable, retrying

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL SQLSTATEs")


@pytest.fixture
def db():  # noqa: ANN201
    database = Database(TEST_DB_URL)
    yield database
    database.dispose()


def _failing_unit(db: Database, sqlstate: str, attempts: list[int], *, succeed_on: int | None = None):  # noqa: ANN202
    def unit_of_work() -> str:
        attempts.append(1)
        with db.transaction() as session:
            if len(attempts) != succeed_on:
                session.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '{sqlstate}'; END $$"))
            return session.execute(text("SELECT 'done'")).scalar_one()

    return unit_of_work


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_a_conflict_that_persists_is_retried_three_times_then_unavailable(db, sqlstate):
    attempts: list[int] = []
    with pytest.raises(DBAPIError) as raised:
        retrying(_failing_unit(db, sqlstate, attempts))
    assert len(attempts) == 1 + RETRY_ATTEMPTS == 4
    assert is_unavailable(raised.value)  # the web edge answers 503 with Retry-After


def test_a_conflict_that_clears_is_invisible_to_the_caller(db):
    attempts: list[int] = []
    assert retrying(_failing_unit(db, "40001", attempts, succeed_on=3)) == "done"
    assert len(attempts) == 3


def test_other_database_errors_are_not_retried_and_stay_server_errors(db):
    attempts: list[int] = []
    with pytest.raises(DBAPIError) as raised:
        retrying(_failing_unit(db, "23505", attempts))  # unique violation: a bug or a real conflict, not a retry
    assert len(attempts) == 1
    assert not is_unavailable(raised.value)
