"""Account administration (SESS-4, AUTH-6): disabling an account or changing its role ends its sessions at
once; a disabled account cannot log in; a revoked API token is refused at its next request."""

from click.testing import CliRunner
from tests_support import PASSWORD

from hotline.accounts.tokens import create_token
from hotline.cli import given, main


def cli(state, *args: str):  # noqa: ANN001, ANN201
    return CliRunner().invoke(main, list(args), obj=given(state), catch_exceptions=False)


def test_a_disabled_account_is_logged_out_and_cannot_log_in(state, login, new_browser):
    staff = login("agency_staff", "civil_affairs:长春市/农安县")
    assert staff.get("/console/inbox").status_code == 200
    assert cli(state, "user", "disable", "--username", staff.username).exit_code == 0
    assert staff.get("/console/inbox").status_code == 302  # the old cookie is dead
    again = new_browser()
    again.get("/login")
    refused = again.post("/login", {"username": staff.username, "password": PASSWORD})
    assert refused.status_code != 302 and "用户名或密码" in refused.get_data(as_text=True)
    assert cli(state, "user", "enable", "--username", staff.username).exit_code == 0
    assert again.post("/login", {"username": staff.username, "password": PASSWORD}).status_code == 302


def test_a_role_change_ends_the_old_sessions(state, login):
    operator = login("operator")
    assert operator.get("/console/new").status_code == 200
    changed = cli(state, "user", "role", "--username", operator.username, "--role", "agency_staff", "--unit",
                  "civil_affairs:长春市/农安县")
    assert changed.exit_code == 0, changed.output
    assert operator.get("/console/new").status_code == 302  # logged out, not an operator any more
    bad = CliRunner().invoke(main, ["user", "role", "--username", operator.username, "--role", "child_director"],
                             obj=given(state))
    assert bad.exit_code != 0 and "--place" in bad.output


def test_a_revoked_token_is_refused(state, client):
    with state.db.transaction() as session:
        _, secret = create_token(session, "telephony-test", "operator")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    assert "已吊销 1 个令牌" in cli(state, "token", "revoke", "--name", "telephony-test").output
    refused = client.get("/api/v1/tickets", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["code"] == "token_revoked"
    unknown = CliRunner().invoke(main, ["token", "revoke", "--name", "telephony-test"], obj=given(state))
    assert unknown.exit_code != 0
