"""Liveness for load balancers and monitoring."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from hotline.web import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """200 when the database answers, 503 otherwise."""
    try:
        with runtime().db.transaction(readonly=True) as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        return jsonify({"status": "unavailable", "database": False}), 503
    return jsonify({"status": "ok", "database": True})
