"""hotline: the 12345 child-welfare hotline and public-sentiment triage system (Jilin)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from hotline.config import load_settings
from hotline.state import AppState


def create_app(overrides: Mapping[str, object] | None = None) -> Flask:
    """Build the Flask app: settings, database, deadline policy, triage, blueprints, error handlers."""
    settings = load_settings(overrides)
    root = Path(__file__).resolve().parent
    app = Flask(
        __name__,
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
    app.extensions["hotline"] = AppState.build(settings)

    from hotline.web.api.views import bp as api_bp
    from hotline.web.auth import bp as auth_bp
    from hotline.web.console.views import bp as console_bp
    from hotline.web.errors import register_error_handlers
    from hotline.web.health import bp as health_bp
    from hotline.web.kb import bp as kb_bp
    from hotline.web.security_headers import register_security_headers
    from hotline.web.session_auth import register_csrf
    from hotline.web.templating import register_template_globals

    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(kb_bp)
    register_csrf(app)
    register_template_globals(app)
    register_error_handlers(app)
    register_security_headers(app)
    _register_cli(app)
    return app


def _register_cli(app: Flask) -> None:
    """Make every ``hotline`` command available as ``flask --app wsgi <command>`` too."""
    from hotline.cli import main

    for command in main.commands.values():
        app.cli.add_command(command)
