"""Children and calls: likely registered children while a call is typed, and linking tickets and leads."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("child_links", __name__, url_prefix="/console/children")
