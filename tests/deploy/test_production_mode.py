"""Production mode (CFG-4, SESS-1, INT-1): ``HOTLINE_ENV=production`` refuses to start with a missing,
short or example secret key, without secure cookies, with SQLite under several workers, or with a remote
PostgreSQL reached without ``sslmode=verify-full`` — a one-line message, no traceback, from the settings,
``hotline serve`` and ``wsgi.py`` alike. A production app's session cookie is ``__Host-session`` with
Secure, HttpOnly, SameSite=Lax and Path=/, and plain HTTP (as the trusted proxy reports it) is redirected."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tests_support import PASSWORD

from hotline.app import create_app
from hotline.config import EXAMPLE_SECRET_KEYS, ConfigError, load_settings
from hotline.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "q2Vb7-ZpL0x9TfK3mWn8Rj4Hs6Yc1Ud5Ae0Gi2Oo7Pu"  # noqa: S105 - fabricated for the test


def _production(tmp_path: Path, **env: str) -> dict[str, str]:
    return {"HOTLINE_ENV": "production", "HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_SECURE_COOKIES": "1",
            "HOTLINE_SECRET_KEY": GOOD_KEY, **env}


@pytest.mark.parametrize(("change", "says"), [
    ({"HOTLINE_SECRET_KEY": ""}, "未设置 HOTLINE_SECRET_KEY"),
    ({"HOTLINE_SECRET_KEY": "short-key"}, "at least 32"),
    ({"HOTLINE_SECRET_KEY": sorted(EXAMPLE_SECRET_KEYS)[0]}, "示例值"),
    ({"HOTLINE_SECRET_KEY": "a" * 40}, "示例值"),
    ({"HOTLINE_SECURE_COOKIES": ""}, "HOTLINE_SECURE_COOKIES=1"),
    ({"HOTLINE_WORKERS": "4"}, "SQLite 只支持单个 Web 进程"),
    ({"HOTLINE_DATABASE_URL": "postgresql+psycopg://hotline@db.internal.example/hotline"}, "sslmode=verify-full"),
])
def test_production_refuses_unsafe_settings(tmp_path, change, says):  # noqa: ANN001
    with pytest.raises(ConfigError, match=re.escape(says)):
        load_settings(env=_production(tmp_path, **change))
    assert not (tmp_path / "secret_key").exists()  # no development key was generated on the way


def test_production_accepts_a_proper_configuration(tmp_path):  # noqa: ANN001
    settings = load_settings(env=_production(tmp_path, HOTLINE_DATABASE_URL="postgresql+psycopg://hotline@db.internal.example/"
                                                                            "hotline?sslmode=verify-full", HOTLINE_WORKERS="4"))
    assert settings.production and settings.workers == 4
    # the same database on this host (loopback) needs no TLS; one worker may use SQLite
    assert load_settings(env=_production(tmp_path, HOTLINE_DATABASE_URL="postgresql+psycopg://hotline@127.0.0.1/h")).production
    assert load_settings(env=_production(tmp_path)).is_sqlite


def test_development_is_the_default_and_keeps_its_conveniences(tmp_path):  # noqa: ANN001
    settings = load_settings(env={"HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_WORKERS": "3"})
    assert settings.env == "development" and not settings.production
    assert (tmp_path / "secret_key").exists()  # the generated instance key
    with pytest.raises(ConfigError, match="HOTLINE_ENV"):
        load_settings(env={"HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_ENV": "prod"})
    with pytest.raises(ConfigError, match="HOTLINE_PROXY_HOPS"):
        load_settings(env={"HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_PROXY_HOPS": "-1"})
    with pytest.raises(ConfigError, match="HOTLINE_METRICS_ALLOW"):
        load_settings(env={"HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_METRICS_ALLOW": "10.0.0.0/8,intranet"})


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **_production(tmp_path, **env)},
                          capture_output=True, text=True, timeout=120)


def test_hotline_serve_refuses_in_one_line_without_a_traceback(tmp_path):  # noqa: ANN001
    done = _run(["-m", "hotline.cli", "serve", "--port", "5999"], tmp_path, HOTLINE_SECRET_KEY="")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "错误：生产模式拒绝启动" in done.stderr and "Traceback" not in done.stderr
    workers = _run(["-m", "hotline.cli", "serve", "--workers", "3", "--port", "5999"], tmp_path)
    assert workers.returncode == 2 and "SQLite" in workers.stderr and "Traceback" not in workers.stderr


def test_the_wsgi_module_refuses_with_exit_status_3(tmp_path):  # noqa: ANN001
    """gunicorn imports wsgi:app in each worker; status 3 makes it stop instead of restarting workers forever."""
    done = _run(["-c", "import wsgi"], tmp_path, HOTLINE_SECURE_COOKIES="0")
    assert done.returncode == 3
    assert "HOTLINE_SECURE_COOKIES=1" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def production_app(state):  # noqa: ANN001
    settings = replace(state.settings, env="production", secure_cookies=True, proxy_hops=1, secret_key=GOOD_KEY)
    return create_app(runtime=Runtime(settings, db=state.db))


def _login(client, username: str):  # noqa: ANN001, ANN202
    page = client.get("/login", base_url="https://hotline.example")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD},
                       base_url="https://hotline.example")


def test_the_production_session_cookie_is_host_only_secure_and_httponly(production_app, make_user):  # noqa: ANN001
    answer = _login(production_app.test_client(), make_user("operator"))
    assert answer.status_code == 302
    cookies = [value for name, value in answer.headers.items() if name.lower() == "set-cookie"]
    session_cookie = [c for c in cookies if c.startswith("__Host-session=")]
    assert len(session_cookie) == 1, cookies
    attributes = [part.strip().lower() for part in session_cookie[0].split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes
    assert "samesite=lax" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain=") for a in attributes)
    expires = [a for a in attributes if a.startswith("max-age=")]
    assert not expires or int(expires[0].split("=")[1]) <= 12 * 3600  # no cookie outlives the absolute timeout
    assert not [c for c in cookies if not c.startswith("__Host-session=")]  # no remember-me cookie


def test_plain_http_is_redirected_to_https_in_production(production_app):  # noqa: ANN001
    client = production_app.test_client()
    behind = client.get("/login?next=/console/", headers={"X-Forwarded-Proto": "http", "X-Forwarded-Host": "hotline.example"})
    assert behind.status_code == 308
    assert behind.headers["Location"] == "https://hotline.example/login?next=/console/"
    posted = client.post("/api/v1/tickets", json={}, headers={"X-Forwarded-Proto": "http"})
    assert posted.status_code == 308  # before CSRF, sessions and rate limits; 308 keeps the method
    over_https = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example"})
    assert over_https.status_code == 200
    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get("/healthz").status_code in (200, 503)  # probes reach workers directly over loopback HTTP


def test_development_serves_plain_http(client):  # noqa: ANN001
    assert client.get("/login", headers={"X-Forwarded-Proto": "http"}).status_code == 200
