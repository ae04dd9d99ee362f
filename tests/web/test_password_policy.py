"""AUTH-2, AUTH-6 and the account part of AUD-1 over HTTP and the CLI: the set-password page applies the
policy and the history, an expired password or an initial one holds every other page until it is changed,
an initial password dies after 24 hours, and each account event writes exactly one audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select, update
from tests_support import PASSWORD

from hotline.accounts.models import AuditEntry, PasswordHistory, User
from hotline.cli import given, main
from hotline.timeutil import utcnow

NEW = "Neues-Passw0rt-2026"


def cli(state, *args: str, stdin: str | None = None):  # noqa: ANN001, ANN201
    return CliRunner().invoke(main, list(args), obj=given(state), input=stdin)


def audit_rows(state, event: str, username: str) -> list[AuditEntry]:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.event == event,
                                                             AuditEntry.object_ref == f"user:{username}")))


def change(browser, current: str, new: str, confirm: str | None = None, next_url: str = ""):  # noqa: ANN001, ANN201
    browser.get("/account/password")
    return browser.post("/account/password", {"current_password": current, "new_password": new,
                                              "confirm_password": new if confirm is None else confirm,
                                              "next": next_url})


@pytest.mark.parametrize("new,code_text", [
    ("Short-1a", "至少 12"),
    ("Aa1-" * 32 + "x", "不能超过 128"),
    ("alllowercaseletters", "至少三类"),
    ("Qwerty123456", "常见"),
    ("1QAZ2wsx3edc", "常见"),
    (PASSWORD, "最近 5 次"),
])
def test_the_set_password_page_refuses_weak_and_reused_passwords(login, state, new, code_text):
    browser = login("operator")
    resp = change(browser, PASSWORD, new)
    assert resp.status_code == 422 and code_text in resp.get_data(as_text=True)
    with state.db.transaction(readonly=True) as session:  # nothing changed
        user = session.scalar(select(User).where(User.username == browser.username))
        assert not user.must_change_password
    assert browser.get("/console/new").status_code == 200
    assert audit_rows(state, "password_change", browser.username) == []


def test_the_username_as_password_and_a_wrong_current_password_are_refused(state, new_browser):
    from tests_support import ready_user

    with state.db.transaction() as session:
        ready_user(session, state.cipher, "Wang.Li-2026", "operator")
    browser = new_browser()
    assert browser.log_in("Wang.Li-2026").status_code == 302
    resp = change(browser, PASSWORD, "wang.li-2026")  # the username in another case: three classes, 12 long
    assert resp.status_code == 422 and "用户名" in resp.get_data(as_text=True)
    assert change(browser, "Wrong-Passw0rd-x", NEW).status_code == 422
    assert "两次输入" in change(browser, PASSWORD, NEW, confirm=NEW + "x").get_data(as_text=True)
    assert change(browser, PASSWORD, NEW).status_code == 302


def test_a_good_password_is_accepted_and_ends_the_other_sessions(login, new_browser, state):
    browser = login("operator")
    other = new_browser()
    assert other.log_in(browser.username).status_code == 302
    resp = change(browser, PASSWORD, NEW, next_url="/console/queue")
    assert resp.status_code == 302 and resp.headers["Location"] == "/console/queue"
    assert browser.get("/console/new").status_code == 200  # this session goes on
    assert other.get("/console/new").status_code == 302  # the other one ended (SESS-4)
    assert len(audit_rows(state, "password_change", browser.username)) == 1
    assert new_browser().log_in(browser.username, NEW).status_code == 302


def test_the_last_five_passwords_may_not_be_reused(login, state):
    browser = login("operator")
    used = [PASSWORD] + [f"Rotation-{i}-Passw0rd" for i in range(1, 6)]
    for before, after in zip(used, used[1:], strict=False):
        assert change(browser, before, after).status_code == 302, after
    current = used[-1]
    for old in used[1:]:  # the current one and the four before it
        assert change(browser, current, old).status_code == 422, old
    with state.db.transaction(readonly=True) as session:
        user_id = session.scalar(select(User.id).where(User.username == browser.username))
        assert session.scalar(select(func.count()).where(PasswordHistory.user_id == user_id)) == 5
    assert change(browser, current, used[0]).status_code == 302  # six back: allowed again


def test_an_expired_password_holds_every_page_until_it_is_changed(login, state, app):
    browser = login("admin")
    with state.db.transaction() as session:
        session.execute(update(User).where(User.username == browser.username)
                        .values(password_changed_at=utcnow() - timedelta(days=91)))
    gated = 0
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "GET" not in rule.methods or rule.arguments or not path.startswith(("/console", "/kb")):
            continue
        resp = browser.get(path)
        assert resp.status_code in (302, 403), (path, resp.status_code)  # 403: not the admin's page anyway
        if resp.status_code == 302:
            assert "/account/password" in resp.headers["Location"], path
            gated += 1
    assert gated >= 20
    fetch = browser.client.get("/console/notifications/summary", headers={"Accept": "application/json"})
    assert fetch.status_code == 403 and fetch.get_json()["code"] == "password_expired"
    assert browser.get("/account/password").status_code == 200
    assert change(browser, PASSWORD, NEW).status_code == 302
    assert browser.get("/console/notifications").status_code == 200


def test_the_maximum_age_is_configurable(login, state, monkeypatch):
    from dataclasses import replace

    browser = login("operator")
    with state.db.transaction() as session:
        session.execute(update(User).where(User.username == browser.username)
                        .values(password_changed_at=utcnow() - timedelta(days=31)))
    assert browser.get("/console/new").status_code == 200  # 31 days < 90
    monkeypatch.setattr(state, "settings", replace(state.settings, password_max_age_days=30))
    assert "/account/password" in browser.get("/console/new").headers["Location"]


def test_a_cli_created_account_must_change_its_password_first(state, new_browser):
    made = cli(state, "user", "create", "--username", "li.ming", "--role", "operator", "--password-stdin",
               stdin=PASSWORD + "\n")
    assert made.exit_code == 0 and made.output.strip() == "已创建用户 li.ming（operator）"
    assert len(audit_rows(state, "user_create", "li.ming")) == 1
    browser = new_browser()
    assert browser.log_in("li.ming").status_code == 302
    resp = browser.get("/console/new")
    assert resp.status_code == 302 and "/account/password" in resp.headers["Location"]
    assert "初始密码" in browser.get("/account/password").get_data(as_text=True)
    assert change(browser, PASSWORD, NEW, next_url="/console/new").headers["Location"] == "/console/new"
    assert browser.get("/console/new").status_code == 200


def test_an_initial_or_reset_password_dies_after_24_hours(state, new_browser, make_user):
    username = make_user("operator")
    assert cli(state, "user", "set-password", "--username", username, "--password-stdin",
               stdin=NEW + "\n").exit_code == 0
    assert len(audit_rows(state, "password_reset", username)) == 1
    with state.db.transaction(readonly=True) as session:
        assert session.scalar(select(User.must_change_password).where(User.username == username))
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        resp = new_browser().log_in(username, NEW)
        assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
    with time_machine.travel(utcnow() + timedelta(hours=23), tick=False):
        browser = new_browser()
        assert browser.log_in(username, NEW).status_code == 302
        assert "/account/password" in browser.get("/console/new").headers["Location"]


def test_login_logout_and_lockout_write_one_audit_row_each_and_never_the_password(state, make_user, new_browser):
    username = make_user("operator")
    browser = new_browser()
    assert browser.log_in(username).status_code == 302
    assert len(audit_rows(state, "login_success", username)) == 1
    assert browser.post("/logout").status_code == 302
    assert len(audit_rows(state, "logout", username)) == 1
    secret_try = "Wrong-Secret-77x"
    for i in range(5):  # from five addresses: one address alone is throttled before it could lock anyone out
        resp = new_browser().log_in(username, secret_try, environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
        assert resp.status_code == 401
    failures = audit_rows(state, "login_failure", username)
    assert len(failures) == 5 and {row.actor for row in failures} == {username}
    assert len(audit_rows(state, "lockout", username)) == 1
    new_browser().log_in("nobody-" + "x" * 200, secret_try)
    with state.db.transaction(readonly=True) as session:
        unknown = session.scalars(select(AuditEntry).where(AuditEntry.event == "login_failure",
                                                           AuditEntry.actor.like("nobody-%"))).all()
        assert len(unknown) == 1 and len(unknown[0].actor) <= 64
        for row in session.scalars(select(AuditEntry)):
            assert secret_try not in " ".join(str(v) for v in (row.actor, row.detail, row.reason, row.object_ref))
            assert PASSWORD not in " ".join(str(v) for v in (row.actor, row.detail, row.reason, row.object_ref))


def test_user_administration_writes_one_audit_row_each(state, make_user):
    username = make_user("operator")
    steps = [
        ("user_disable", ["user", "disable", "--username", username]),
        ("user_enable", ["user", "enable", "--username", username]),
        ("user_role", ["user", "role", "--username", username, "--role", "supervisor"]),
        ("user_role", ["user", "role", "--username", username, "--role", "child_director", "--place",
                       "长春市/农安县/合隆镇/陈家店村"]),
        ("user_places", ["user", "places", "--username", username, "--place", "长春市/农安县/合隆镇/合隆村"]),
        ("2fa_reset", ["user", "reset-2fa", "--username", username]),
    ]
    from children_support import places

    with state.db.transaction() as session:
        places(session)  # the demo villages
    for event, args in steps:
        before = len(audit_rows(state, event, username))
        done = cli(state, *args)
        assert done.exit_code == 0, done.output
        rows = audit_rows(state, event, username)
        assert len(rows) == before + 1, event
        assert rows[-1].actor.startswith("cli") and rows[-1].at is not None
