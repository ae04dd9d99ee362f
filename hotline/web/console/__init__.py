"""The console for operators, dispatchers, agencies and supervisors."""

from hotline.web.console.views import bp

__all__ = ["bp"]
