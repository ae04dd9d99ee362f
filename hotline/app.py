"""The Flask app: wiring only (settings → runtime → blueprints, error handlers, security headers)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from hotline.config import load_settings
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
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["hotline"] = runtime

    from hotline.web import register_web

    register_web(app)
    return app
