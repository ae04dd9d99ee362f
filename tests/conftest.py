"""Shared fixtures: a real database (SQLite file, or PostgreSQL when HOTLINE_TEST_DATABASE_URL is
set), the app built by Alembic once per session, per-test cleanup, tokens, a live HTTP server, and
an autouse guard that refuses any network connection outside loopback."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

TEST_DB_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL") or ""
BACKEND = "postgresql" if TEST_DB_URL.startswith("postgresql") else "sqlite"
# tables holding per-test data, children first; reference data (regions, units) stays
PER_TEST_TABLES = [
    "audit_log",
    "saved_views",
    "ticket_events",
    "label_corrections",
    "idempotency_keys",
    "ticket_co_units",
    "tickets",
    "ticket_counters",
    "api_tokens",
    "users",
]


def pytest_report_header(config: pytest.Config) -> str:
    return f"hotline test database: {BACKEND}"


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


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
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


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    from hotline import create_app
    from hotline.bootstrap import initialise

    instance = tmp_path_factory.mktemp("instance")
    application = create_app({"instance_path": instance, "database_url": database_url, "testing": True})
    initialise(application.extensions["hotline"])
    yield application
    application.extensions["hotline"].db.dispose()


@pytest.fixture
def state(app):
    return app.extensions["hotline"]


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    from hotline.tickets.triage import ClassifierTriage

    state = request.getfixturevalue("app").extensions["hotline"]
    state.triage = ClassifierTriage(None, state.taxonomy)  # the default without a model: rules only
    with state.db.engine.begin() as conn:
        for table in PER_TEST_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_token(state) -> Callable[..., str]:
    """make_token(role, unit=None) -> a bearer token string."""
    from hotline.accounts.tokens import create_token

    counter = iter(range(1, 10_000))

    def _make(role: str, unit: str | None = None) -> str:
        with state.db.transaction() as session:
            _, secret = create_token(session, f"test-{role}-{next(counter)}", role, unit_code=unit)
        return secret

    return _make


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


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served by waitress on a free loopback port, in a thread; yields the base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=16)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


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


@pytest.fixture
def make_user(state) -> Callable[..., str]:
    """make_user(role, unit=None) -> the username of a new user with the shared test password."""
    from tests_support import PASSWORD, next_id

    from hotline.accounts.users import create_user

    def _make(role: str, unit: str | None = None) -> str:
        username = f"{role}{next_id()}"
        with state.db.transaction() as session:
            create_user(session, username, role, PASSWORD, unit_code=unit, display_name=f"测试{role}")
        return username

    return _make
