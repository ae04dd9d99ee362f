"""Children and calls in the console: the desk's suggestion JSON (masked, scoped, 422 on bad input), a call
created with the child the operator chose, the ticket page's 关联儿童 panel (suggestions, 确认关联, 取消关联,
the register form from the ticket) and linking a lead by 档案号."""

import re
from datetime import date

from children_support import add_child, guardian, open_lead, person, place_user
from sqlalchemy import select

from hotline.children.models import ChildLink
from hotline.children.rules import age_on
from hotline.directory.models import AgencyUnit
from hotline.tickets.models import Ticket
from hotline.timeutil import SHANGHAI, utcnow

CHILD_ID = "220122201503070023"  # fabricated, with a correct GB 11643 check digit
CALL = {
    "caller_name": "张桂芳", "caller_phone": "13912340000", "child_name": "李小梅", "child_age": "9",
    "address": "农安县合隆镇陈家店村三社12号", "text": "来电人系孩子母亲，反映孩子父亲外出务工，孩子无人照看。",
    "category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县",
}


def registered(state) -> str:  # noqa: ANN001
    admin = person(state, "admin")
    return add_child(state, admin, "陈家店村", name="李小梅", id_number=CHILD_ID,
                     guardians=[guardian(phone="13812345678", id_number="22012219850214011X")])


AGE = age_on(date(2015, 3, 7), utcnow().astimezone(SHANGHAI).date())


def number_of(resp) -> str:  # noqa: ANN001
    return re.search(r"/console/tickets/(12345-\d{8}-\d{5})", resp.headers["Location"]).group(1)


def links_of(state, number: str) -> list[str]:  # noqa: ANN001
    from hotline.children.models import Child

    with state.db.transaction(readonly=True) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        return list(s.scalars(select(Child.number).join(ChildLink, ChildLink.child_id == Child.id)
                              .where(ChildLink.ticket_id == ticket.id)))


def test_suggestions_are_masked_json(state, login):
    child = registered(state)
    desk = login("operator")
    resp = desk.get("/console/children/suggest", query_string={"name": "李小梅", "county": "农安县"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    [found] = resp.get_json()["suggestions"]
    assert found["number"] == child and found["name"] == "李**" and found["age"] == AGE
    assert found["village"] == "长春市农安县 合隆镇 陈家店村" and found["reasons"] == ["姓名相同", "同在农安县"]
    body = resp.get_data(as_text=True)
    assert "李小梅" not in body and "13812345678" not in body and "138****5678" not in body
    assert CHILD_ID not in body and "220122" not in body and "0023" not in body
    # the desk's script posts what was typed (nothing in the URL); a phone alone finds the family
    resp = desk.post_json("/console/children/suggest", {"phone": "138 1234 5678"})
    assert resp.status_code == 200
    assert [(s["number"], s["reasons"]) for s in resp.get_json()["suggestions"]] == [(child, ["监护人电话相同（父亲）"])]
    assert desk.post_json("/console/children/suggest", {}).get_json() == {"suggestions": []}
    assert resp.headers["Cache-Control"] == "no-store"


def test_bad_input_and_roles(state, login, client):
    registered(state)
    desk = login("operator")
    for query in ({"phone": "abc"}, {"name": "李" * 65}, {"limit": "0"}, {"address": "a\nb"}):
        resp = desk.get("/console/children/suggest", query_string=query)
        assert resp.status_code == 422 and resp.mimetype == "application/json", query
        assert resp.get_json()["code"] == "bad_parameter"
    resp = desk.post_json("/console/children/suggest", {"name": "李小梅", "id_number": CHILD_ID})
    assert resp.status_code == 422 and resp.get_json()["code"] == "bad_parameter"
    resp = desk.post_json("/console/children/suggest", {"name": 7})
    assert resp.status_code == 422
    police = login("agency_staff", "public_security:长春市/农安县")
    resp = police.get("/console/children/suggest", query_string={"name": "李小梅", "county": "农安县"})
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    anonymous = client.get("/console/children/suggest?name=x", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401


def test_a_call_is_created_with_the_chosen_child(state, login):
    child = registered(state)
    desk = login("operator")
    page = desk.get("/console/new").get_data(as_text=True)
    assert "可能相关的在册儿童" in page and 'name="child_number"' in page and "js/child_suggest.js" in page
    resp = desk.post("/console/new", {**CALL, "decision": "dispatch", "child_number": child})
    assert resp.status_code == 302
    number = number_of(resp)
    assert links_of(state, number) == [child]
    page = desk.get(f"/console/tickets/{number}").get_data(as_text=True)
    panel = page[page.index('id="child-links"'):page.index("办理时间线")]
    assert child in panel and "李**" in panel and "取消关联" in panel and "确认关联" not in panel
    # a child number that does not exist refuses the whole call, with the form shown again
    with state.db.transaction(readonly=True) as s:
        before = len(s.scalars(select(Ticket.id)).all())
    resp = desk.post("/console/new", {**CALL, "decision": "save", "child_number": "ET99999999"})
    assert resp.status_code == 422 and "ET99999999" in resp.get_data(as_text=True)
    with state.db.transaction(readonly=True) as s:
        assert len(s.scalars(select(Ticket.id)).all()) == before


def test_the_ticket_page_suggests_links_and_unlinks(state, login):
    child = registered(state)
    desk = login("operator")
    number = number_of(desk.post("/console/new", {**CALL, "decision": "dispatch"}))
    dispatcher = login("dispatcher")
    page = dispatcher.get(f"/console/tickets/{number}").get_data(as_text=True)
    panel = page[page.index('id="child-links"'):page.index("办理时间线")]
    assert "尚未关联在册儿童" in panel and child in panel and "确认关联" in panel and "姓名相同" in panel
    assert f'href="/console/children/new?ticket={number}"' in panel and "从工单新建儿童档案" in panel
    assert "李小梅" not in panel  # the dispatcher sees the ticket masked, and the child's name masked

    resp = dispatcher.post("/console/children/link", {"child": child, "ticket": number})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/console/tickets/{number}")
    page = dispatcher.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"已关联儿童档案 {child}" in page and links_of(state, number) == [child]
    assert f"儿童档案 {child}" in page[page.index("办理时间线"):]  # the timeline, by number only
    dispatcher.post("/console/children/link", {"child": child, "ticket": number})  # idempotent
    assert links_of(state, number) == [child]

    resp = dispatcher.post("/console/children/link", {"child": "ET99999999", "ticket": number})
    assert resp.status_code == 302
    assert "儿童档案 ET99999999 不存在" in dispatcher.get(resp.headers["Location"]).get_data(as_text=True)
    assert dispatcher.post("/console/children/link", {"child": child, "ticket": "12345-20000101-00001"}).status_code == 404
    resp = dispatcher.post("/console/children/link", {"child": child})
    assert resp.status_code == 302
    assert "只能一个" in dispatcher.get(resp.headers["Location"], follow_redirects=True).get_data(as_text=True)

    resp = dispatcher.post("/console/children/unlink", {"child": child, "ticket": number})
    assert resp.status_code == 302 and links_of(state, number) == []
    assert f"已取消关联儿童档案 {child}" in dispatcher.get(resp.headers["Location"]).get_data(as_text=True)


def test_who_sees_the_panel(state, login):
    child = registered(state)
    number = number_of(login("operator").post("/console/new", {**CALL, "decision": "dispatch"}))
    with state.db.transaction(readonly=True) as s:
        unit = s.scalar(select(Ticket).where(Ticket.number == number)).lead_unit.code
    # the lead unit (civil affairs of the county) sees the children of its county, by name
    county = login("agency_staff", unit)
    page = county.get(f"/console/tickets/{number}").get_data(as_text=True)
    panel = page[page.index('id="child-links"'):page.index("办理时间线")]
    assert child in panel and "确认关联" in panel
    # an agency that does not see the register: no panel, and linking is refused
    police = login("agency_staff", "public_security:长春市/农安县")
    with state.db.transaction() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        ticket.co_units.append(s.scalar(select(AgencyUnit).where(AgencyUnit.code == "public_security:长春市/农安县")))
    page = police.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert number in page and 'id="child-links"' not in page and child not in page
    resp = police.post("/console/children/link", {"child": child, "ticket": number})
    assert resp.status_code == 302 and links_of(state, number) == []
    assert "不存在" in police.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_lead_is_linked_by_number(state, login):
    child = registered(state)
    number = open_lead(state)
    county = login("agency_staff", "civil_affairs:长春市/农安县")
    page = county.get(f"/console/leads/{number}").get_data(as_text=True)
    assert 'id="child-links"' in page and "尚未关联在册儿童" in page and 'id="link-by-number"' in page
    resp = county.post("/console/children/link", {"child": child, "lead": number})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/console/leads/{number}")
    page = county.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"已关联儿童档案 {child}" in page and "李小梅" in page[page.index('id="child-links"'):]
    # another county's staff see neither the lead nor the child
    other = login("agency_staff", "civil_affairs:四平市/梨树县")
    assert other.post("/console/children/link", {"child": child, "lead": number}).status_code == 302
    assert other.get(f"/console/leads/{number}").status_code == 404
    with state.db.transaction(readonly=True) as s:
        assert len(s.scalars(select(ChildLink.id)).all()) == 1


def test_a_director_sees_only_the_tickets_about_their_children(state, login, new_browser):
    child = registered(state)
    desk = login("operator")
    linked = number_of(desk.post("/console/new", {**CALL, "decision": "save", "child_number": child}))
    other = number_of(desk.post("/console/new", {**CALL, "decision": "save"}))
    here = place_user(state, new_browser, "child_director", "陈家店村")
    there = place_user(state, new_browser, "child_director", "合隆村")
    assert here.get(f"/console/tickets/{linked}").status_code == 200
    assert here.get(f"/console/tickets/{other}").status_code == 404  # not about one of their children
    assert there.get(f"/console/tickets/{linked}").status_code == 404  # another village's child
