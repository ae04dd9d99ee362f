"""Transport (CFG-1, INT-1): HSTS on every response once the console is served over HTTPS (secure cookies),
and not on a plain-HTTP development server, where it would lock browsers out of localhost."""

from dataclasses import replace

from hotline.app import create_app
from hotline.runtime import Runtime


def test_hsts_only_behind_https(app, state):
    plain = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    secure_app = create_app(runtime=Runtime(replace(state.settings, secure_cookies=True), db=state.db))
    secure = secure_app.test_client().get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert secure.headers["X-Frame-Options"] == "SAMEORIGIN"
