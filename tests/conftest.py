"""Shared fixtures.

- A real database: a SQLite file, or PostgreSQL when HOTLINE_TEST_DATABASE_URL is set. Alembic builds it
  once per session and ``initialise`` loads regions, units and the knowledge base.
- Isolation: every test that uses the app runs inside one outer transaction that is rolled back at its
  end; each unit of work the code under test opens is a savepoint in it (``Database.pinned``).
- Tests that need real commits seen by other threads (races over HTTP, the browser) use ``live``: a
  server on loopback over a fresh copy of a template database, dropped afterwards.
- An autouse guard refuses any network connection outside loopback.
"""

from __future__ import annotations

import compileall
import os
import shutil
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from tests_support import BACKEND, TEST_DB_URL

# One BLAS / OpenMP thread for the suite and every process it starts (set before numpy loads; pytest and its
# plugins load none): its matrices are small, the two passes of `make test` share two cores, and a second
# thread spinning on them costs more CPU than it saves (training the fixture model under cProfile: 11.5 s of
# CPU for 6.1 s of wall with two threads, 8.1 s for 8.1 s with one).
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


def pytest_report_header(config: pytest.Config) -> str:
    return f"hotline test database: {BACKEND}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the project's modules once, so that the ``hotline`` processes the suite starts read bytecode
    rather than each compiling every module again (where PYTHONDONTWRITEBYTECODE is set, none would be kept)."""
    root = Path(__file__).resolve().parents[1]
    for package in ("hotline", "classifier", "knowledge_base"):
        compileall.compile_dir(root / package, quiet=1)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline rule, enforced: any connection outside loopback fails the test."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address):  # noqa: ANN001
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("localhost", "::1") and not str(host).startswith("127."):
                raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _admin_engine():  # noqa: ANN202
    """A connection to the PostgreSQL test database that can create and drop other databases."""
    return create_engine(TEST_DB_URL, isolation_level="AUTOCOMMIT")


def _postgres_database(sql: str) -> None:
    """CREATE / DROP DATABASE (outside any transaction)."""
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _postgres_url(name: str) -> str:
    return make_url(TEST_DB_URL).set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = _admin_engine()
    name = make_url(url).database
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        leftovers = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{name}_live%"})
        for (db,) in leftovers.all():  # from an earlier run that was killed
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if BACKEND == "postgresql":
        try:
            _reset_postgres(TEST_DB_URL)
        except Exception as exc:  # a skipped backend would be a false green: fail loudly
            pytest.exit(f"PostgreSQL at HOTLINE_TEST_DATABASE_URL is not reachable: {exc}", returncode=3)
        return TEST_DB_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _initialised_runtime(database_url: str, instance: Path):  # noqa: ANN202
    from hotline.bootstrap import initialise
    from hotline.runtime import Runtime

    runtime = Runtime.from_env({"instance_path": instance, "database_url": database_url, "testing": True})
    initialise(runtime)
    return runtime


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    from hotline.app import create_app

    runtime = _initialised_runtime(database_url, tmp_path_factory.mktemp("instance"))
    yield create_app(runtime=runtime)
    runtime.close()


@pytest.fixture
def state(app):
    """The app's runtime: database, taxonomy, deadline policy, triage, knowledge base."""
    return app.extensions["hotline"]


def _rules_only(runtime) -> None:  # noqa: ANN001
    from hotline.tickets.triage import ClassifierTriage

    runtime.triage = ClassifierTriage(None, runtime.taxonomy)  # the default without a model


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Everything a test writes through the app's database is rolled back when it ends."""
    if "app" not in request.fixturenames:
        yield
        return
    from hotline.tickets.queries import forget_capped_counts

    runtime = request.getfixturevalue("state")
    _rules_only(runtime)
    with runtime.db.pinned():
        yield
    _rules_only(runtime)
    forget_capped_counts()  # the rollback took every ticket of the test away


@pytest.fixture
def client(app):
    return app.test_client()


def _token_maker(runtime) -> Callable[..., str]:  # noqa: ANN001
    from hotline.accounts.tokens import create_token

    def _make(role: str, unit: str | None = None) -> str:
        with runtime.db.transaction() as session:
            _, secret = create_token(session, f"test-{role}-{next(_maker_ids)}", role, unit_code=unit)
        return secret

    return _make


def _user_maker(runtime) -> Callable[..., str]:  # noqa: ANN001
    from tests_support import ready_user

    def _make(role: str, unit: str | None = None) -> str:
        username = f"{role}{next(_maker_ids)}"
        with runtime.db.transaction() as session:
            ready_user(session, runtime.cipher, username, role, unit=unit, display_name=f"测试{role}")
        return username

    return _make


_maker_ids = count(1)


@pytest.fixture
def password() -> str:
    """The password every test user gets."""
    from tests_support import PASSWORD

    return PASSWORD


@pytest.fixture
def make_token(state) -> Callable[..., str]:
    """make_token(role, unit=None) -> a bearer token string."""
    return _token_maker(state)


@pytest.fixture
def make_user(state) -> Callable[..., str]:
    """make_user(role, unit=None) -> the username of a new user with the shared test password (admins and
    dispatchers with the shared test TOTP secret: ``tests_support.ready_user``)."""
    return _user_maker(state)


class Api:
    """A tiny JSON client over the Flask test client, authenticated with one token."""

    def __init__(self, client, token: str) -> None:  # noqa: ANN001
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def post(self, path: str, json=None, headers=None):  # noqa: ANN001
        return self.client.post(f"/api/v1{path}", json=json, headers={**self.headers, **(headers or {})})

    def get(self, path: str, **params):  # noqa: ANN003
        return self.client.get(f"/api/v1{path}", query_string=params, headers=self.headers)

    def act(self, number: str, action: str, **payload):  # noqa: ANN003
        return self.post(f"/tickets/{number}/actions/{action}", json=payload)


@pytest.fixture
def api_as(client, make_token) -> Callable[..., Api]:
    """api_as(role, unit=None) -> Api authenticated as a fresh token with that role."""
    return lambda role, unit=None: Api(client, make_token(role, unit))


@dataclass
class Live:
    """A real server on loopback over a database of its own, with helpers that commit."""

    url: str
    runtime: object
    make_user: Callable[..., str]
    make_token: Callable[..., str]


@pytest.fixture(scope="session")
def live_template(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated and initialised database that ``live`` copies for each test."""
    if BACKEND == "postgresql":
        name = f"{make_url(TEST_DB_URL).database}_live_tpl"
        _postgres_database(f'CREATE DATABASE "{name}"')
        _initialised_runtime(_postgres_url(name), tmp_path_factory.mktemp("live-template")).close()
        yield name
        _postgres_database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path_factory.mktemp("live-template") / "template.db"
    _initialised_runtime(f"sqlite:///{path}", path.parent).close()
    yield str(path)


_live_ids = count(1)


class _Serving:
    """Runs a waitress server's loop in a thread of its own until ``stop()``; the loop closes its own sockets.

    Closing sockets from another thread races the loop's select(), and waking the loop through waitress's
    trigger pipe fails when that pipe is already gone; polling a stop flag between short selects needs neither.
    """

    def __init__(self, server) -> None:  # noqa: ANN001
        self.server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from waitress import wasyncore

        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=self.server._map, count=1)
        wasyncore.close_all(self.server._map)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()


@contextmanager
def _served_live(live_template: str, directory: Path) -> Iterator[Live]:
    """The app served by waitress (16 threads) on a free loopback port, over a fresh copy of the template."""
    from waitress.server import create_server

    from hotline.app import create_app
    from hotline.runtime import Runtime

    if BACKEND == "postgresql":
        name = f"{make_url(TEST_DB_URL).database}_live_{os.getpid()}_{next(_live_ids)}"
        _postgres_database(f'CREATE DATABASE "{name}" TEMPLATE "{live_template}"')
        url = _postgres_url(name)
    else:
        target = directory / "live.db"
        with sqlite3.connect(live_template) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        url = f"sqlite:///{target}"
    runtime = Runtime.from_env({"instance_path": directory / "instance", "database_url": url, "testing": True})
    server = create_server(create_app(runtime=runtime), host="127.0.0.1", port=0, threads=16)
    serving = _Serving(server)
    try:
        yield Live(f"http://127.0.0.1:{server.effective_port}", runtime, _user_maker(runtime), _token_maker(runtime))
    finally:
        serving.stop()
        runtime.close()
        if BACKEND == "postgresql":
            _postgres_database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            shutil.rmtree(directory / "instance", ignore_errors=True)


@pytest.fixture
def live(live_template: str, tmp_path: Path) -> Iterator[Live]:
    """A served app over a database of its own, for one test (``_served_live``)."""
    with _served_live(live_template, tmp_path) as served:
        yield served


@pytest.fixture(scope="module")
def module_live(live_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``live`` shared by the tests of one module: for modules whose tests each start processes over it and
    keep out of each other's way (their own users, tokens and addresses)."""
    with _served_live(live_template, tmp_path_factory.mktemp("live")) as served:
        yield served


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(__file__).with_name("data")


@pytest.fixture(scope="session")
def fixture_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real classifier artifact trained once per session on the small fabricated fixture."""
    from classifier import train

    out = tmp_path_factory.mktemp("model")
    train([Path(__file__).with_name("data") / "classifier_fixture.jsonl"], out, cv_folds=2)
    return out
