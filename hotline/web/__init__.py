"""The HTTP edge: one blueprint per area; views parse input, call one service, render."""

from __future__ import annotations

from flask import Flask, current_app

from hotline.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of the app serving this request (database, policy, taxonomy, triage, knowledge)."""
    return current_app.extensions["hotline"]


def register_web(app: Flask) -> None:
    from hotline.web import api, auth, console, errors, health, kb, security_headers, session_auth, templating

    for blueprint in (api.bp, health.bp, auth.bp, console.bp, kb.bp):
        app.register_blueprint(blueprint)
    session_auth.register_csrf(app)
    templating.register_template_globals(app)
    errors.register_error_handlers(app)
    security_headers.register_security_headers(app)
