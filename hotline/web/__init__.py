"""The HTTP edge: one blueprint per area; views parse input, call one service, render."""

from __future__ import annotations

from flask import Flask, current_app

from hotline.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of the app serving this request (database, policy, taxonomy, triage, knowledge)."""
    return current_app.extensions["hotline"]


def register_web(app: Flask) -> None:
    from hotline.web import (
        account,
        audit,
        auth,
        child_links,
        children,
        desk,
        errors,
        field,
        health,
        home,
        kb,
        matching,
        notifications,
        reports,
        scheduler,
        security_headers,
        sentiment,
        sessions,
        templating,
        tickets,
    )
    from hotline.web.api import sentiment as sentiment_api
    from hotline.web.api import views as api

    for blueprint in (api.bp, sentiment_api.bp, health.bp, home.bp, auth.bp, account.bp, desk.bp, tickets.bp, reports.bp, kb.bp,
                      sentiment.bp, notifications.bp, scheduler.bp, children.bp, field.bp, matching.bp,
                      child_links.bp, audit.bp):
        app.register_blueprint(blueprint)
    sessions.register_csrf(app)
    from hotline.web.limits import register_limits  # after CSRF: a forged request is never counted
    register_limits(app)
    templating.register_template_globals(app)
    errors.register_error_handlers(app)
    security_headers.register_security_headers(app)
    __import__("hotline.web.metrics", fromlist=["register_metrics"]).register_metrics(app)  # last: lists every endpoint
