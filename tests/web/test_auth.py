"""Login, lockout, session revocation, CSRF and the open-redirect guard."""

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
    for _ in range(5):
        assert browser.post("/login", {"username": username, "password": "bad-password-x"}).status_code == 401
    # the sixth attempt, with the right password, is still refused: the lock lives in the database
    assert browser.post("/login", {"username": username, "password": password}).status_code == 401


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


def test_next_parameter_cannot_leave_the_site(new_browser, make_user, password):
    username = make_user("operator")
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        browser = new_browser()
        resp = browser.post("/login", {"username": username, "password": password, "next": target})
        assert resp.headers["Location"].endswith("/console/"), target
    browser = new_browser()
    resp = browser.post("/login", {"username": username, "password": password, "next": "/console/queue"})
    assert resp.headers["Location"].endswith("/console/queue")


def test_session_cookie_flags(new_browser, make_user, password):
    username = make_user("operator")
    browser = new_browser()
    resp = browser.post("/login", {"username": username, "password": password})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
