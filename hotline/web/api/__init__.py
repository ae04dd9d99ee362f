"""/api/v1 for integrations (bearer tokens)."""

from hotline.web.api.views import bp

__all__ = ["bp"]
