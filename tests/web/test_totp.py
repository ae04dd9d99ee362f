"""AUTH-5: TOTP second factor with recovery codes. A password alone never reaches a console page for an
enrolled account; a code is single-use; wrong codes count towards the lockout; the half-logged-in state
ends after five minutes; admins and dispatchers enrol before any other page; recovery codes work once
and are stored hashed; ``hotline user reset-2fa`` ends the sessions and asks for a new enrolment."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine
from click.testing import CliRunner
from sqlalchemy import select
from tests_support import PASSWORD, TOTP_SECRET, ready_user

from hotline.accounts.models import AuditEntry, RecoveryCode, User
from hotline.cli import given, main
from hotline.timeutil import utcnow

CONSOLE = ["/console/", "/console/new", "/console/queue", "/console/notifications", "/account/", "/account/password",
           "/account/totp"]


#: a page every role reaches that needs nothing but the session
HOME = "/console/notifications"


def code_at(moment, secret: str = TOTP_SECRET) -> str:  # noqa: ANN001
    return pyotp.TOTP(secret).at(moment)


def events(state, event: str, username: str) -> list[AuditEntry]:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.event == event,
                                                             AuditEntry.object_ref == f"user:{username}")))


def password_step(browser, username: str):  # noqa: ANN001, ANN201
    browser.get("/login")
    resp = browser.post("/login", {"username": username, "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/code")
    browser.get("/login/code")
    return resp


def test_a_password_alone_never_reaches_a_page(make_user, new_browser):
    for role in ("admin", "dispatcher"):
        browser = new_browser()
        password_step(browser, make_user(role))
        for path in CONSOLE:
            resp = browser.get(path)
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], (role, path)
        fetch = browser.client.get("/console/notifications/summary", headers={"Accept": "application/json"})
        assert fetch.status_code == 401


def test_a_code_is_single_use(make_user, new_browser, state):
    username = make_user("dispatcher")
    with time_machine.travel(utcnow(), tick=False):
        code = code_at(utcnow())
        first = new_browser()
        password_step(first, username)
        assert first.post("/login/code", {"code": code}).status_code == 302
        assert first.get(HOME).status_code == 200
        replay = new_browser()  # someone who saw the code over the shoulder, in the same 30 seconds
        password_step(replay, username)
        refused = replay.post("/login/code", {"code": code})
        assert refused.status_code == 401 and "验证码错误或已使用" in refused.get_data(as_text=True)
        assert replay.get(HOME).status_code == 302
        older = code_at(utcnow() - timedelta(seconds=30))  # an older step than the one used: refused too
        assert replay.post("/login/code", {"code": older}).status_code == 401
        assert replay.post("/login/code", {"code": code_at(utcnow() + timedelta(seconds=30))}).status_code == 302
    assert len(events(state, "login_success", username)) == 2
    assert len(events(state, "login_failure", username)) == 2


def test_wrong_codes_count_as_failed_logins_and_lock_the_account(make_user, new_browser, state):
    username = make_user("admin")
    browser = new_browser()
    password_step(browser, username)
    for _ in range(5):
        assert browser.post("/login/code", {"code": "000000"}).status_code == 401
    assert len(events(state, "lockout", username)) == 1
    # locked: even the right code is refused now, and so is the password step
    assert browser.post("/login/code", {"code": code_at(utcnow())}).status_code == 401
    again = new_browser()
    again.get("/login")
    assert again.post("/login", {"username": username, "password": PASSWORD}).status_code == 401


def test_the_code_step_expires_after_five_minutes(make_user, new_browser):
    username = make_user("admin")
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        browser = new_browser()
        password_step(browser, username)
        clock.shift(timedelta(minutes=5, seconds=5))
        resp = browser.post("/login/code", {"code": code_at(utcnow())})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
        assert browser.get(HOME).status_code == 302


def test_an_admin_enrols_before_any_other_page_and_gets_recovery_codes(state, new_browser):
    with state.db.transaction() as session:
        ready_user(session, state.cipher, "new.admin", "admin").totp_secret_sealed = None
    browser = new_browser()
    assert browser.log_in("new.admin").status_code == 302  # no second factor yet: straight in ...
    for path in ("/console/", "/console/queue", "/console/notifications"):
        resp = browser.get(path)  # ... but only to the enrolment page
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/totp"), path
    fetch = browser.client.get("/console/notifications/summary", headers={"Accept": "application/json"})
    assert fetch.status_code == 403 and fetch.get_json()["code"] == "totp_enrolment_required"
    page = browser.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert f"secret={secret}" in page and "otpauth://totp/" in page
    assert secret in browser.get("/account/totp").get_data(as_text=True).replace(" ", "")  # the same secret
    assert browser.post("/account/totp", {"code": "123456"}).status_code == 302  # wrong: back to the page
    done = browser.post("/account/totp", {"code": code_at(utcnow(), secret)})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert browser.get(HOME).status_code == 200
    assert len(events(state, "2fa_enrol", "new.admin")) == 1
    with state.db.transaction(readonly=True) as session:
        user = session.scalar(select(User).where(User.username == "new.admin"))
        assert secret not in (user.totp_secret_sealed or "") and state.cipher.open(user.totp_secret_sealed) == secret
        stored = " ".join(session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
        assert not any(c.replace("-", "") in stored or c in stored for c in codes)

    # a recovery code replaces the app once
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        other = new_browser()
        password_step(other, "new.admin")
        assert other.post("/login/code", {"code": codes[0].lower()}).status_code == 302
        assert other.get(HOME).status_code == 200
        third = new_browser()
        password_step(third, "new.admin")
        assert third.post("/login/code", {"code": codes[0]}).status_code == 401
    assert len(events(state, "recovery_code_used", "new.admin")) == 1
    assert "剩余恢复码 9 个" in browser.get("/account/").get_data(as_text=True)


def test_the_second_factor_is_optional_for_an_operator(login, new_browser, state):
    operator = login("operator")
    assert "未绑定（可选）" in operator.get("/account/").get_data(as_text=True)
    page = operator.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert operator.post("/account/totp", {"code": code_at(utcnow(), secret)}).status_code == 200
    later = new_browser()
    later.get("/login")
    resp = later.post("/login", {"username": operator.username, "password": PASSWORD})
    assert resp.headers["Location"].endswith("/login/code")  # from now on, two steps


def test_reset_2fa_ends_the_sessions_and_asks_for_a_new_enrolment(login, state, new_browser):
    admin = login("admin")
    assert admin.get(HOME).status_code == 200
    done = CliRunner().invoke(main, ["user", "reset-2fa", "--username", admin.username], obj=given(state))
    assert done.exit_code == 0 and "已重置" in done.output
    assert admin.get(HOME).status_code == 302  # the old session is dead
    assert len(events(state, "2fa_reset", admin.username)) == 1
    again = new_browser()
    assert again.log_in(admin.username).status_code == 302  # password only: straight to enrolment
    assert again.get(HOME).headers["Location"].endswith("/account/totp")
    unknown = CliRunner().invoke(main, ["user", "reset-2fa", "--username", "nobody"], obj=given(state))
    assert unknown.exit_code == 2 and "不存在" in unknown.output
