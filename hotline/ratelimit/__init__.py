"""Rate limits with shared storage: every worker process (and every host) counts together (AUTH-3, API-4).

``models`` holds the database counters, ``service`` the counting (database or Redis, with the database as
the fallback while Redis is down) and the :class:`~hotline.ratelimit.service.Limiter`. Which requests are
limited, by what and how much is declared once, in ``hotline/web/limits.py``.
"""
