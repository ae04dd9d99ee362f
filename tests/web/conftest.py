"""Console fixtures: real users in the test database, logged in through the real login form."""

import re

import pytest
from tests_support import PASSWORD, totp_codes


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browser:
    """A Flask test client that logs in via /login and sends the CSRF token with every form."""

    def __init__(self, client):
        self.client = client
        self.csrf = ""

    def get(self, path, **kw):
        resp = self.client.get(path, **kw)
        if resp.mimetype == "text/html":
            found = re.search(r'name="csrf-token" content="([^"]+)"', resp.get_data(as_text=True))
            if found:
                self.csrf = found.group(1)
        return resp

    def post(self, path, data=None, **kw):
        if not self.csrf:
            self.get("/login")
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def log_in(self, username, password=PASSWORD, environ_base=None, **extra):
        """POST /login and, when asked (admins, dispatchers), the code step with the test TOTP secret: the
        last answer (302 when logged in). ``environ_base`` sets the client address of the password step."""
        self.get("/login")
        resp = self.post("/login", {"username": username, "password": password, **extra},
                         **({"environ_base": environ_base} if environ_base else {}))
        if resp.status_code == 302 and resp.headers["Location"].endswith("/login/code"):
            self.get("/login/code")  # the half-logged-in state's CSRF token
            for code in totp_codes():
                resp = self.post("/login/code", {"code": code})
                if resp.status_code == 302:
                    break
        if resp.status_code == 302:
            self.get("/login")  # the new session's CSRF token
        return resp

    def post_json(self, path, body):
        if not self.csrf:
            self.get("/login")
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf, "Accept": "application/json"})


@pytest.fixture
def login(app, make_user):
    """login(role, unit=None) -> a Browser logged in as a new user with that role."""

    def _login(role: str, unit: str | None = None) -> Browser:
        browser = Browser(app.test_client())
        username = make_user(role, unit)
        resp = browser.log_in(username)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        browser.get("/console/", follow_redirects=True)  # the session's fresh CSRF token
        browser.username = username
        return browser

    return _login


@pytest.fixture
def new_browser(app):
    return lambda: Browser(app.test_client())
