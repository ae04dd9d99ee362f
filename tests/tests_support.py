"""Constants and helpers shared by test modules (importable: tests/ is on sys.path via the pytest
configuration)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from threading import Barrier

PASSWORD = "Test-Passw0rd-long"
#: the suite's database: PostgreSQL when HOTLINE_TEST_DATABASE_URL says so, else a SQLite file
TEST_DB_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL") or ""
BACKEND = "postgresql" if TEST_DB_URL.startswith("postgresql") else "sqlite"


def race(n: int, fn):  # noqa: ANN001, ANN201
    """Run fn(0..n-1) in n threads released at the same instant; their results in order."""
    barrier = Barrier(n)

    def go(i):  # noqa: ANN001, ANN202
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


@contextmanager
def http_server(handler):  # noqa: ANN001, ANN201
    """A real HTTP server on a free loopback port, serving ``handler`` in threads; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


#: the TOTP secret of every test admin and dispatcher (base32); ``totp_code`` answers the login's code step
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - a fabricated test secret


def ready_user(session, cipher, username: str, role: str, *, unit: str | None = None, places=(),  # noqa: ANN001
               display_name: str = ""):  # noqa: ANN201
    """A test account that logs in like a settled one: the shared ``PASSWORD``, not an initial password
    (no forced change), and for the roles that need a second factor a TOTP enrolled with ``TOTP_SECRET``.
    The one place tests make people who log in."""
    from hotline.accounts.totp import totp_required
    from hotline.accounts.users import create_user

    user = create_user(session, username, role, PASSWORD, unit_code=unit, display_name=display_name,
                       places=list(places), must_change=False)
    if totp_required(role):
        user.totp_secret_sealed = cipher.seal(TOTP_SECRET)
        session.flush()
    return user


def totp_codes() -> list[str]:
    """Codes to try at the code step: the current step's, then the next one's (the same account logging in
    twice within 30 seconds: the current step is spent, and a code is single-use)."""
    import time

    import pyotp

    totp, now = pyotp.TOTP(TOTP_SECRET), time.time()
    return [totp.at(now), totp.at(now + 30)]


#: audit events of logins and account administration (helper A): tests about data access leave them out
ACCOUNT_EVENTS = ("login_success", "login_failure", "lockout", "logout", "password_change", "password_reset",
                  "2fa_enrol", "2fa_reset", "recovery_code_used", "user_create", "user_disable", "user_enable",
                  "user_role", "user_places")
