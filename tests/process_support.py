"""Deployment test helpers: real ``hotline serve`` / ``hotline scheduler`` processes over the ``live`` fixture's
database (a fresh PostgreSQL database or SQLite file), with the settings every host of one installation
shares (secret key, data key, audit key), each with an instance folder of its own."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 90, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def shared_env(runtime, instance: Path, **extra: str) -> dict[str, str]:  # noqa: ANN001
    """The environment of one more host of ``runtime``'s installation."""
    settings = runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_INSTANCE_PATH": str(instance),
                "HOTLINE_SECRET_KEY": settings.secret_key, "PYTHONUNBUFFERED": "1"})
    for name, value in (("HOTLINE_DATA_KEY", settings.data_key), ("HOTLINE_AUDIT_KEY", getattr(settings, "audit_key", None))):
        if value:
            env[name] = value
    env.update(extra)
    return env


class Process:
    """A ``hotline`` subprocess whose output is collected (never printed: no personal data reaches a log)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.env = env
        self.proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", *args], env=env, cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Server(Process):
    def __init__(self, env: dict[str, str], *, workers: int = 1) -> None:
        self.port = free_port()
        super().__init__(["serve", "--port", str(self.port), "--workers", str(workers), "--threads", "4"], env)
        self.url = f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("server exited: " + "".join(self.lines[-20:]))
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # gunicorn listens before its workers are warm
            return False


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def post_login(http: requests.Session, base: str, username: str, password: str, **headers: str) -> requests.Response:
    """GET /login for a CSRF token, then POST the form; no redirect followed (302: logged in, 401: refused)."""
    token = csrf_of(http.get(f"{base}/login", headers=headers, timeout=10).text)
    return http.post(f"{base}/login", data={"csrf_token": token, "username": username, "password": password},
                     headers=headers, allow_redirects=False, timeout=30)
