"""Security headers on every response (CFG-1, CFG-2): no external origins, no caching of PII, HSTS when the
console is served over HTTPS."""

from __future__ import annotations

from flask import Flask, Response, redirect, request

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-store",
}


#: behind HTTPS (secure cookies on): browsers keep to HTTPS for a year (CFG-1, INT-1)
HSTS = "max-age=31536000; includeSubDomains"

#: probes that reach a worker directly over loopback HTTP (load balancer, Prometheus): never redirected
_PROBES = frozenset({"/healthz", "/metrics"})


def _register_https_redirect(app: Flask) -> None:
    """Production: a request that arrived over plain HTTP — the scheme as the trusted proxy reports it
    (``HOTLINE_PROXY_HOPS``), or the worker's own — is sent to the same URL over HTTPS with 308, which keeps
    the method and body (INT-1)."""

    def _https_only() -> Response | None:
        if request.scheme == "https" or request.path in _PROBES:
            return None
        return redirect(request.url.replace("http://", "https://", 1), code=308)  # type: ignore[return-value]

    app.before_request_funcs.setdefault(None, []).insert(0, _https_only)  # before CSRF, sessions, rate limits


def register_security_headers(app: Flask) -> None:
    if app.extensions["hotline"].settings.production:
        _register_https_redirect(app)
    headers = dict(_HEADERS)
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = HSTS

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
