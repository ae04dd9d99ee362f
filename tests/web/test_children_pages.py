"""The register in the console: registering a child through the form, the masked page and the audited
reveal, editing without losing sealed fields, scopes (404 for another village), and exports that need a
supervisor's approval, downloaded once."""

import csv
import io

from children_support import place_user, places
from sqlalchemy import select

from hotline.accounts.models import AuditEntry
from hotline.children.models import Child

CHILD_ID = "220122201503070023"
FATHER_ID = "22012219850214011X"


def child_form(village_id: int, **extra) -> dict:  # noqa: ANN003
    form = {"name": "赵小川", "id_number": CHILD_ID, "residence_place": str(village_id),
            "residence_address": "合隆镇陈家店村五社8号", "category": "left_behind", "assessment": "fair",
            "g1_relation": "father", "g1_name": "赵大山", "g1_id_number": FATHER_ID, "g1_phone": "13912345678",
            "g1_status": "away"}
    form.update(extra)
    return form


def village_id(state, name: str = "陈家店村") -> int:  # noqa: ANN001
    with state.db.transaction() as session:
        return places(session)[name].id


def test_register_view_reveal_and_edit(state, new_browser):
    director = place_user(state, new_browser, "child_director", "陈家店村")
    page = director.get("/console/children/new")
    assert page.status_code == 200 and "陈家店村" in page.get_data(as_text=True)
    assert "合隆村" not in page.get_data(as_text=True)  # only the director's villages are offered
    bad = director.post("/console/children/new", child_form(village_id(state), id_number=CHILD_ID[:-1] + "5"))
    assert bad.status_code == 422 and "校验不通过" in bad.get_data(as_text=True)
    assert "赵小川" in bad.get_data(as_text=True)  # what was typed is kept
    done = director.post("/console/children/new", child_form(village_id(state)))
    assert done.status_code == 302
    number = done.headers["Location"].rsplit("/", 1)[-1]
    html = director.get(f"/console/children/{number}").get_data(as_text=True)
    assert "220122********0023" in html and CHILD_ID not in html and "139****5678" in html
    assert "留守儿童关爱服务" in html  # the benefits the record suggests
    revealed = director.post(f"/console/children/{number}/reveal", {"reason": "visit"}).get_data(as_text=True)
    assert CHILD_ID in revealed and "13912345678" in revealed
    with state.db.transaction(readonly=True) as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.object_ref == f"child:{number}")).all()
        assert [a.event for a in audit] == ["reveal"]
    # editing with the sealed fields left blank keeps them
    form = child_form(village_id(state), id_number="", g1_id_number="", g1_phone="", assessment="concern")
    assert director.post(f"/console/children/{number}/edit", form).status_code == 302
    with state.db.transaction(readonly=True) as session:
        child = session.scalar(select(Child).where(Child.number == number))
        assert state.cipher.open(child.id_number_sealed) == CHILD_ID
        assert state.cipher.open(child.guardians[0].phone_sealed) == "13912345678"
        assert child.assessment == "concern" and child.version == 2
    assert "第 2 版" in director.get(f"/console/children/{number}").get_data(as_text=True)


def test_another_village_is_not_found(state, new_browser):
    here = place_user(state, new_browser, "child_director", "陈家店村")
    there = place_user(state, new_browser, "child_director", "合隆村")
    resp = here.post("/console/children/new", child_form(village_id(state)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    number = resp.headers["Location"].rsplit("/", 1)[-1]
    assert there.get(f"/console/children/{number}").status_code == 404
    assert number not in there.get("/console/children/").get_data(as_text=True)
    assert number in here.get("/console/children/").get_data(as_text=True)
    # and a form posted for a village out of scope is refused
    assert there.post("/console/children/new", child_form(village_id(state))).status_code == 403


def test_operator_sees_masked_names(state, new_browser, login):
    director = place_user(state, new_browser, "child_director", "陈家店村")
    number = director.post("/console/children/new", child_form(village_id(state))).headers["Location"].rsplit("/", 1)[-1]
    html = login("operator").get(f"/console/children/{number}").get_data(as_text=True)
    assert "赵**" in html and "赵小川" not in html


def test_the_name_search_is_posted_and_pages_keep_it(state, new_browser, login):
    """SESS-5: the name travels in the body, and the pager posts it again (never a URL with the name)."""
    director = place_user(state, new_browser, "child_director", "陈家店村")
    director.post("/console/children/new", child_form(village_id(state)))
    dispatcher = login("dispatcher")
    found = dispatcher.post("/console/children/", {"q": "赵小川"}).get_data(as_text=True)
    assert 'id="children"' in found and "共 1 人" in found
    missing = dispatcher.post("/console/children/", {"q": "没有这个人"}).get_data(as_text=True)
    assert "共 0 人" in missing and "赵小川" not in missing


def test_export_needs_a_supervisors_approval_and_is_downloaded_once(state, new_browser, login):
    director = place_user(state, new_browser, "child_director", "陈家店村")
    director.post("/console/children/new", child_form(village_id(state)))
    township = place_user(state, new_browser, "child_supervisor", "合隆镇")
    assert township.post("/console/children/exports", {"reason": "季度更新全国儿童福利信息系统"}).status_code == 302
    with state.db.transaction(readonly=True) as session:
        from hotline.children.models import ExportRequest

        request_id = session.scalars(select(ExportRequest.id).order_by(ExportRequest.id.desc())).first()
    # not approved yet: no file
    early = township.post(f"/console/children/exports/{request_id}/download", {"format": "csv"})
    assert early.status_code == 302
    supervisor = login("supervisor")
    assert supervisor.post(f"/console/children/exports/{request_id}/decide", {"decision": "approve"}).status_code == 302
    assert director.post(f"/console/children/exports/{request_id}/download", {"format": "csv"}).status_code == 404
    got = township.post(f"/console/children/exports/{request_id}/download", {"format": "csv"})
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(got.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "档案号" and any("220122********0023" in r for r in rows[1:])
    assert CHILD_ID not in got.get_data().decode("utf-8-sig")
    again = township.post(f"/console/children/exports/{request_id}/download", {"format": "csv"})
    assert again.status_code == 302  # downloaded once
    with state.db.transaction(readonly=True) as session:
        events = [a.event for a in session.scalars(select(AuditEntry).where(
            AuditEntry.object_ref == f"register_export:{request_id}").order_by(AuditEntry.id))]
        assert events == ["export_request", "export_approved", "export"]


def test_a_supervisor_cannot_approve_their_own_export(state, login):
    supervisor = login("supervisor")
    assert supervisor.post("/console/children/exports", {"reason": "抽查"}).status_code == 302
    with state.db.transaction(readonly=True) as session:
        from hotline.children.models import ExportRequest

        request_id = session.scalars(select(ExportRequest.id).order_by(ExportRequest.id.desc())).first()
    supervisor.post(f"/console/children/exports/{request_id}/decide", {"decision": "approve"})
    with state.db.transaction(readonly=True) as session:
        from hotline.children.models import ExportRequest

        assert session.get(ExportRequest, request_id).status == "pending"


def test_admin_uploads_the_places_csv(login):
    admin = login("admin")
    assert admin.get("/console/children/places").status_code == 200
    body = "区县,乡镇（街道）,村（社区）\n农安县,青山口乡,,\n农安县,青山口乡,东岗村\n".encode("gb18030")
    done = admin.post("/console/children/places", {"file": (io.BytesIO(body), "places.csv")},
                      content_type="multipart/form-data")
    assert done.status_code == 302
    page = admin.get("/console/children/places", follow_redirects=True).get_data(as_text=True)
    assert "新增 2 个地点" in page and "长春市 农安县" in page
    wrong = admin.post("/console/children/places", {"file": (io.BytesIO(b"x"), "places.txt")},
                       content_type="multipart/form-data")
    assert wrong.status_code == 422 and ".csv" in wrong.get_data(as_text=True)


def test_a_child_registered_from_a_ticket_is_linked_to_it(state, login):
    from sqlalchemy import select as sql_select

    from hotline.children.models import ChildLink
    from hotline.tickets.models import Ticket

    desk = login("operator")
    call = {"caller_name": "周淑芬", "caller_phone": "13912340001", "child_name": "周小北", "child_age": "8",
            "address": "农安县合隆镇陈家店村二社5号", "text": "来电人系孩子奶奶，孩子父母外出务工，想问留守儿童有什么帮扶。",
            "category": "guardianship", "kind": "report", "urgency": "normal", "prefecture": "长春市",
            "county": "农安县", "decision": "save"}
    made = desk.post("/console/new", call)
    assert made.status_code == 302, made.get_data(as_text=True)[-2000:]
    number = made.headers["Location"].rsplit("/", 1)[-1]
    village = village_id(state)
    page = desk.get(f"/console/children/new?ticket={number}").get_data(as_text=True)
    assert "周小北" in page and f'value="{village}" selected' in page  # the call's child and village
    form = child_form(village, name="周小北", id_number="", g1_name="周淑芬", g1_relation="grandparent",
                      g1_id_number="", g1_phone="13912340001", g1_status="normal", ticket=number)
    done = desk.post(f"/console/children/new?ticket={number}", form)
    assert done.status_code == 302, done.get_data(as_text=True)
    child_number = done.headers["Location"].rsplit("/", 1)[-1]
    with state.db.transaction(readonly=True) as session:
        ticket_id = session.scalar(sql_select(Ticket.id).where(Ticket.number == number))
        links = session.scalars(sql_select(ChildLink).where(ChildLink.ticket_id == ticket_id)).all()
        assert len(links) == 1
    assert number in desk.get(f"/console/children/{child_number}").get_data(as_text=True)


def test_a_bad_filter_is_explained_and_the_list_still_shown(login):
    page = login("dispatcher").get("/console/children/?category=bogus&page=0")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "取值“bogus”无效" in html  # the reason, in Chinese
    assert "没有符合条件的儿童档案" in html or 'id="children"' in html  # and the (unfiltered) list


def test_an_edit_does_not_overwrite_a_change_saved_meanwhile(state, new_browser):
    first = place_user(state, new_browser, "child_director", "陈家店村")
    second = place_user(state, new_browser, "child_supervisor", "合隆镇")
    number = first.post("/console/children/new", child_form(village_id(state))).headers["Location"].rsplit("/", 1)[-1]
    assert 'name="version" value="1"' in second.get(f"/console/children/{number}/edit").get_data(as_text=True)
    saved = first.post(f"/console/children/{number}/edit",
                       child_form(village_id(state), id_number="", g1_id_number="", g1_phone="", assessment="concern",
                                  version="1"))
    assert saved.status_code == 302
    stale = second.post(f"/console/children/{number}/edit",
                        child_form(village_id(state), id_number="", g1_id_number="", g1_phone="", assessment="good",
                                   version="1"))
    assert stale.status_code == 409 and "已被他人修改" in stale.get_data(as_text=True)
    with state.db.transaction(readonly=True) as session:
        child = session.scalar(select(Child).where(Child.number == number))
        assert (child.assessment, child.version) == ("concern", 2)
