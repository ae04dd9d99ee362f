"""SESS-5 and PI-7 on rendered pages: as each role, every console page it can open (each parameterless GET
route of the app, plus a ticket page) is parsed, and

- no link, image/script source or GET form carries a session token or a personal-data parameter in its
  query string, and every form with an ID number or phone field is a POST form (SESS-5);
- no ``src``/``href``/CSS ``url()`` names an external origin, and the CSP header names none (PI-7)."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

UNIT = "civil_affairs:长春市/农安县"
ROLES = [("operator", None), ("dispatcher", None), ("agency_staff", UNIT), ("supervisor", None), ("admin", None),
         ("auditor", None)]
#: query parameters that would put personal data or a credential into a URL (browser history, proxy logs)
PII_PARAMS = {"phone", "caller_phone", "mobile", "tel", "id_number", "idno", "id_card", "name", "caller_name",
              "child_name", "guardian_name", "address", "session", "token", "access_token", "csrf_token",
              "password", "code"}
#: form fields that are personal identifiers: a form carrying one must be POST
PII_FIELDS = {"phone", "caller_phone", "id_number", "guardian_phone"}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)
SKIP = ("/logout", "/healthz", "/metrics", "/static", "/api/", "/login")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (what, url)
        self.forms: list[dict] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "") for k, v in attrs}
        for attr in ("href", "src", "action", "formaction", "poster", "data", "srcset"):
            if attr in a:
                # a link to a sentiment item's public original, opened on purpose without a referrer, loads
                # nothing into the page: a navigation, not a reference PI-7 is about
                outbound = tag == "a" and "noreferrer" in a.get("rel", "").split()
                self.urls.append((f"<{tag} {attr}>" + (" noreferrer" if outbound else ""), a[attr]))
        if "style" in a:
            self.styles.append(a["style"])
        if tag == "form":
            self.forms.append({"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": []})
        elif tag in ("input", "select", "textarea") and self.forms:
            self.forms[-1]["fields"].append(a.get("name", ""))
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _pages(app) -> list[str]:  # noqa: ANN001
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP):
            paths.add(rule.rule)
    return sorted(paths)


def _problems(path: str, resp) -> list[str]:  # noqa: ANN001
    found = []
    csp = resp.headers.get("Content-Security-Policy", "")
    if re.search(r"https?:|//|\*", csp):
        found.append(f"{path}: CSP names an external origin: {csp}")
    if resp.mimetype != "text/html":
        return found
    page = _Page()
    page.feed(resp.get_data(as_text=True))
    for what, url in page.urls:
        if EXTERNAL.match(url) and not what.endswith(" noreferrer"):
            found.append(f"{path}: {what} points at an external origin: {url}")
        for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if key.lower() in PII_PARAMS:
                found.append(f"{path}: {what} carries {key}= in its query string: {url}")
    for css in page.styles:
        for url in CSS_URL.findall(css):
            if EXTERNAL.match(url):
                found.append(f"{path}: CSS url() points at an external origin: {url}")
    for form in page.forms:
        if form["method"] != "post":
            carried = [f for f in form["fields"] if f.lower() in PII_PARAMS | PII_FIELDS]
            if carried:
                found.append(f"{path}: GET form {form['action']!r} carries {carried}")
        elif EXTERNAL.match(form["action"]):
            found.append(f"{path}: form posts to an external origin: {form['action']}")
    return found


@pytest.fixture
def ticket(api_as) -> str:
    """A dispatched ticket with every personal field set, so that its page shows them."""
    api = api_as("operator")
    body = api.post("/tickets", json={"channel": "phone", "text": "来电反映农安县某村一个孩子无人照看，家长外出务工。",
                                      "caller": {"name": "王女士", "phone": "13812341234"},
                                      "child": {"name": "小明", "age": 7}, "address": "农安县某村三组"}).get_json()
    assert "number" in body, body
    number = body["number"]
    resp = api.post(f"/tickets/{number}/actions/dispatch",
                    json={"category": "guardianship", "kind": "report", "urgency": "normal", "unit": UNIT})
    assert resp.status_code == 200, resp.get_json()
    return number


@pytest.mark.parametrize("role,unit", ROLES, ids=[r for r, _ in ROLES])
def test_pages_carry_no_pii_in_urls_and_no_external_origins(app, login, ticket, role, unit):
    browser = login(role, unit)
    paths = _pages(app) + [f"/console/tickets/{ticket}"]
    problems, seen = [], 0
    for path in paths:
        resp = browser.get(path, follow_redirects=True)
        if resp.status_code != 200:
            continue
        seen += 1
        problems += _problems(path, resp)
    assert seen >= 3, f"{role} could open only {seen} pages"
    assert not problems, "\n".join(problems)


def test_the_login_page_and_errors_name_no_external_origin(client):
    for path in ("/login", "/no-such-page"):
        assert not _problems(path, client.get(path))


def test_forms_taking_an_id_number_or_phone_are_post_forms(login):
    """Every form on the main pages with an ID number or phone field is a POST form (the new-call desk, the
    child form, the matching review)."""
    browser = login("dispatcher")
    opened = 0
    for path in ("/console/children/", "/console/children/new", "/console/queue", "/console/new",
                 "/console/children/suggest"):
        resp = browser.get(path, follow_redirects=True)
        if resp.status_code != 200:
            continue
        opened += 1
        page = _Page()
        page.feed(resp.get_data(as_text=True))
        for form in page.forms:
            if {f.lower() for f in form["fields"]} & PII_FIELDS:
                assert form["method"] == "post", f"{path}: {form}"
    assert opened >= 3, f"only {opened} of the pages opened"


def test_the_register_name_search_keeps_the_name_out_of_the_url(login):
    browser = login("dispatcher")
    page = _Page()
    resp = browser.get("/console/children/")
    assert resp.status_code == 200
    page.feed(resp.get_data(as_text=True))
    searches = [f for f in page.forms if "q" in f["fields"]]
    assert searches and all(f["method"] == "post" for f in searches)


def test_a_crawl_from_the_home_page_finds_no_pii_in_urls(app, login, ticket, api_as, state):
    """Pages with parameters too (a child's page and its edit form, an event, a KB article, the pages
    the queue and the register link to): every same-origin link the dispatcher and the agency can follow,
    breadth first from the home page, up to 120 pages each."""
    from children_support import add_child, guardian, person

    add_child(state, person(state, "admin"), "陈家店村", name="王小雨",
              guardians=[guardian("father", "王建军", phone="13812345678")])
    story = "农安县合隆镇一名8岁男孩父母在外打工，爷爷生病住院，孩子一个人在家好几天了，邻居很担心。"
    assert api_as("dispatcher").post("/sentiment/items", json=[
        {"external_id": "pii-1", "source": "weibo", "text": story, "published_at": "2026-11-30T09:00:00+08:00",
         "url": "https://weibo.example/pii-1"}]).status_code == 200
    for role, unit in (("dispatcher", None), ("agency_staff", UNIT)):
        browser = login(role, unit)
        queue, seen, problems = ["/console/"], set(), []
        while queue and len(seen) < 120:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            resp = browser.get(path, follow_redirects=True)
            if resp.status_code != 200 or resp.mimetype != "text/html":
                continue
            problems += _problems(path, resp)
            page = _Page()
            page.feed(resp.get_data(as_text=True))
            for what, url in page.urls:
                parts = urlsplit(url)
                if what.startswith("<a href>") and not parts.netloc and parts.path.startswith(("/console/", "/kb")) \
                        and not parts.path.startswith(SKIP) and "export." not in parts.path:
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        assert len(seen) >= 15, f"{role}: the crawl reached only {len(seen)} pages"
        for kind in ("/console/tickets/", "/console/children/ET", "/kb/articles/"):
            assert any(p.startswith(kind) for p in seen), f"{role}: no {kind} page reached"
        assert not problems, "\n".join(problems)
