"""The Flask app: wiring only (settings → runtime → blueprints, error handlers, security headers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.config import Settings, load_settings
from hotline.runtime import Runtime


def create_app(overrides: Mapping[str, object] | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the web app around ``runtime`` (or a new one from the environment plus ``overrides``)."""
    runtime = runtime or Runtime(load_settings(overrides))
    settings = runtime.settings
    root = Path(__file__).resolve().parent
    app = Flask(
        "hotline",
        instance_path=str(settings.instance_path),
        template_folder=str(root.parent / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        TESTING=settings.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="__Host-session" if settings.secure_cookies else "hotline_session",
        SESSION_COOKIE_PATH="/",  # __Host- cookies must have Path=/ and no Domain (SESS-1)
        PREFERRED_URL_SCHEME="https" if settings.secure_cookies else "http",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # the cookie is sent again when the session changes (login, the idle clock each minute), not on
        # every response: the absolute 12-hour timeout is kept in the session itself
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["hotline"] = runtime

    from hotline.web import register_web

    register_web(app)
    if settings.proxy_hops:
        # X-Forwarded-For / -Proto / -Host from that many trusted proxies (nginx): request.remote_addr (audit
        # rows, rate-limit keys) and request.scheme follow them; with 0 the headers are ignored
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,  # type: ignore[method-assign]
                                x_host=settings.proxy_hops)
    return app


def serve_workers(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """``hotline serve --workers N`` (N > 1): gunicorn with N worker processes of ``threads`` threads each
    (gthread). Every worker builds its own runtime after the fork (no database connection crosses a fork)
    and warms it up; their request latencies add up in one metrics directory, emptied here first."""
    from gunicorn.app.base import BaseApplication

    from hotline.web.metrics import wipe

    settings = replace(settings, workers=workers, metrics_dir=settings.metrics_dir or settings.instance_path / "metrics")
    settings.validate()  # production: SQLite with several workers is refused
    wipe(settings.metrics_dir)  # type: ignore[arg-type]

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings, host=host, port=port, threads=threads).items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            runtime = Runtime(settings)
            runtime.warm_up()
            return create_app(runtime=runtime)

    _Gunicorn().run()


def gunicorn_options(settings: Settings, *, host: str, port: int, threads: int) -> dict[str, object]:
    """The gunicorn settings ``hotline serve --workers`` uses (``docs/deploy/gunicorn.conf.py`` mirrors them)."""
    return {
        "bind": f"{host}:{port}",
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": threads,
        "proc_name": "hotline-web",
        "timeout": 60,  # a worker silent this long is killed and replaced
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": 0,
        # the X-Forwarded-* headers are ProxyFix's business (HOTLINE_PROXY_HOPS), not gunicorn's
        "forwarded_allow_ips": "",
        "limit_request_line": 8190,
        "control_socket_disable": True,  # gunicorn ≥ 24: one per user otherwise, two servers on a host would collide
    }
