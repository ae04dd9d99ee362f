"""hotline: the 12345 child-welfare hotline and public-sentiment triage system (Jilin).

Importing the package is cheap: the web app (``hotline.app``) and the command line (``hotline.cli``)
import what they need when they need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Any = None, **kwargs: Any) -> Flask:
    """The WSGI app (see :func:`hotline.app.create_app`)."""
    from hotline.app import create_app as build

    return build(overrides, **kwargs)
