"""Login, lockout, session revocation, CSRF and the open-redirect guard."""

import threading
from datetime import timedelta

import pytest


def test_login_lands_on_the_roles_home(login):
    operator = login("operator")
    assert operator.get("/console/").headers["Location"].endswith("/console/new")
    agency = login("agency_staff", "civil_affairs:长春市/农安县")
    assert agency.get("/console/").headers["Location"].endswith("/console/inbox")


def test_every_console_page_needs_a_login(client):
    for path in ("/console/", "/console/new", "/console/queue", "/console/inbox", "/console/callbacks",
                 "/console/tickets/12345-20260101-00001"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path


def test_wrong_password_unknown_user_and_lock_look_the_same(new_browser, make_user):
    username = make_user("operator")
    browser = new_browser()
    bodies = set()
    for name, password in ((username, "wrong-password-1"), ("nobody-here", "x")):
        resp = browser.post("/login", {"username": name, "password": password})
        assert resp.status_code == 401
        bodies.add("用户名或密码错误，或账号已被锁定" in resp.get_data(as_text=True))
    assert bodies == {True}


def test_five_failures_lock_the_account(new_browser, make_user, password):
    username = make_user("operator")
    browser = new_browser()
    for i in range(5):  # from five addresses: one address alone is throttled before it could lock anyone out
        assert browser.post("/login", {"username": username, "password": "bad-password-x"},
                            environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"}).status_code == 401
    # the sixth attempt, with the right password, is still refused: the lock lives in the database
    assert browser.post("/login", {"username": username, "password": password},
                        environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code == 401


def test_logout_kills_the_old_cookie_everywhere(login, app):
    browser = login("operator")
    stolen = browser.client.get_cookie("hotline_session").value
    assert browser.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("hotline_session", stolen)
    assert replay.get("/console/new").status_code == 302  # back to the login page


def test_post_without_csrf_token_is_refused(login):
    browser = login("operator")
    resp = browser.client.post("/console/new", data={"text": "x", "decision": "save"})
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
     "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example", "\t//evil.example", "/ /evil.example",
     "/\x00/evil.example", "/\\/evil.example", "/", ""],
)
def test_next_parameter_cannot_leave_the_site(new_browser, make_user, password, target):
    """Browsers drop tabs and newlines from URLs: "/<TAB>/evil.example" would become "//evil.example"."""
    username = make_user("operator")
    resp = new_browser().post("/login", {"username": username, "password": password, "next": target})
    assert resp.headers["Location"] == "/console/", repr(target)


def test_next_from_the_login_link_survives_percent_encoding_tricks(new_browser, make_user, password):
    username = make_user("operator")
    browser = new_browser()
    page = browser.get("/login?next=/%09/evil.example").get_data(as_text=True)  # the value arrives decoded
    assert "evil" in page  # kept in the form, refused on use
    resp = browser.post("/login", {"username": username, "password": password, "next": "/\t/evil.example"})
    assert resp.headers["Location"] == "/console/"
    resp = new_browser().post("/login", {"username": username, "password": password, "next": "/console/queue?x=1"})
    assert resp.headers["Location"] == "/console/queue?x=1"


@pytest.mark.parametrize("case", ["unknown user", "wrong password", "right password", "locked", "disabled"])
def test_every_login_path_computes_exactly_one_hash(state, make_user, password, monkeypatch, case):
    """The same cost on every path: a locked account answering faster would reveal that it exists."""
    from sqlalchemy import update

    from hotline.accounts import login as login_module
    from hotline.accounts.models import User
    from hotline.timeutil import utcnow

    username = make_user("operator")
    if case in ("locked", "disabled"):
        values = {"locked_until": utcnow() + timedelta(minutes=10)} if case == "locked" else {"active": False}
        with state.db.transaction() as session:
            session.execute(update(User).where(User.username == username).values(**values))
    hashed = []
    real = login_module.verify_password
    monkeypatch.setattr(login_module, "verify_password", lambda h, p: hashed.append(1) or real(h, p))
    started = login_module.log_in(state.db, "nobody-here" if case == "unknown user" else username,
                                  "wrong-password-1" if case == "wrong password" else password)
    assert len(hashed) == 1
    assert (started is not None) == (case == "right password")


def test_the_password_is_checked_outside_any_write_transaction(live, monkeypatch):
    """Hashing takes ~0.2 s: holding the write lock meanwhile stalled emergency intake under a login flood."""
    from sqlalchemy import update

    from hotline.accounts import login as login_module
    from hotline.accounts.models import User

    username = live.make_user("operator")
    writes_went_through = []
    real = login_module.verify_password

    def hash_while_someone_writes(password_hash, password):
        done = threading.Event()

        def write():
            with live.runtime.db.transaction() as session:
                session.execute(update(User).where(User.username == username).values(display_name="并发写入"))
            done.set()

        other = threading.Thread(target=write)
        other.start()
        other.join(timeout=5)
        writes_went_through.append(done.is_set())
        result = real(password_hash, password)
        other.join()
        return result

    monkeypatch.setattr(login_module, "verify_password", hash_while_someone_writes)
    login_module.log_in(live.runtime.db, username, "wrong-password-1")
    assert writes_went_through == [True]


def test_session_cookie_flags(new_browser, make_user, password):
    username = make_user("operator")
    browser = new_browser()
    resp = browser.post("/login", {"username": username, "password": password})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_control_character_in_the_username_is_the_generic_failure(new_browser):
    """PostgreSQL refuses NUL in text: a username carrying one must name nobody, not reach the query (a 500)."""
    browser = new_browser()
    browser.get("/login")
    for name in ("demo\x00admin", "a\x01b", "x\ny"):
        resp = browser.post("/login", {"username": name, "password": "whatever-Passw0rd"})
        assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
