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
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["hotline"] = AppState.build(settings)

    from hotline.web.api.views import bp as api_bp
    from hotline.web.errors import register_error_handlers
    from hotline.web.health import bp as health_bp
    from hotline.web.security_headers import register_security_headers

    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    register_error_handlers(app)
    register_security_headers(app)
    _register_cli(app)
    return app


def _register_cli(app: Flask) -> None:
    """Make every ``hotline`` command available as ``flask --app wsgi <command>`` too."""
    from hotline.cli import main

    for command in main.commands.values():
        app.cli.add_command(command)
