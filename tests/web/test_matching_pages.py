"""数据比对 in the console: a source registered through the form, a list uploaded through the multipart form
(a .txt refused with a Chinese 4xx), the import result with the guessed mapping to confirm, the county's
queue (scoped; names masked for dispatchers), the review page and its decision, and a purged record."""

import io
from datetime import timedelta

from children_support import add_child, guardian, person
from sqlalchemy import select

from hotline.children import agency_lists
from hotline.children.matching import check_digit
from hotline.children.models import AgencySource, Child, ChildVersion, MatchReview
from hotline.timeutil import utcnow

FATHER = "22012219850214011"
FATHER += check_digit(FATHER)
NONGAN = "civil_affairs:长春市/农安县"
LISHU = "civil_affairs:四平市/梨树县"


def registered(state) -> str:  # noqa: ANN001
    return add_child(state, person(state, "admin"), "陈家店村", name="王小雨",
                     guardians=[guardian("father", "王建军", id_number=FATHER)])


def upload(browser, source_id: int, filename: str, data: bytes):  # noqa: ANN001, ANN201
    return browser.post(f"/console/matching/sources/{source_id}/import",
                        {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def create_source(browser, **extra) -> int:  # noqa: ANN001, ANN003
    form = {"kind": "prison_admission", "name": "省监狱管理局收监名单", "retention_days": "60", **extra}
    resp = browser.post("/console/matching/sources", form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_register_a_source_and_upload_a_list_through_the_form(state, login):
    number = registered(state)
    admin = login("admin")
    page = admin.get("/console/matching/sources")
    assert page.status_code == 200 and "登记比对来源" in page.get_data(as_text=True)
    source_id = create_source(admin)
    html = admin.get(f"/console/matching/sources/{source_id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and "1 MB" in html and "导入并比对" in html
    # a .txt file: refused with a Chinese message, nothing imported
    bad = upload(admin, source_id, "名单.txt", "姓名\n王建军\n".encode())
    assert bad.status_code == 422 and "只能导入 .csv 或 .xlsx 文件" in bad.get_data(as_text=True)
    missing = admin.post(f"/console/matching/sources/{source_id}/import", {}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "请选择要导入的名单文件" in missing.get_data(as_text=True)
    csv = f"姓名,公民身份号码,入监日期\n王建军,{FATHER},2026-11-01\n路人甲,,2026-11-01\n".encode("utf-8-sig")
    done = upload(admin, source_id, "十一月.csv", csv)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "导入结果：十一月.csv" in html
    assert '<td id="rows">2</td>' in html and '<td id="matched">1</td>' in html and "农安县民政局" in html
    assert "请确认列对应关系" in html and 'value="公民身份号码"' in html and "路人甲" not in html
    # confirming the guessed mapping saves it on the source
    confirm = admin.post(f"/console/matching/sources/{source_id}", {
        "kind": "prison_admission", "name": "省监狱管理局收监名单", "retention_days": "60", "map_name": "姓名",
        "map_id_number": "公民身份号码", "map_date": "入监日期"})
    assert confirm.status_code == 302
    with state.db.transaction(readonly=True) as session:
        assert session.get(AgencySource, source_id).mapping == {"name": "姓名", "id_number": "公民身份号码",
                                                                "date": "入监日期"}
        review = session.scalar(select(MatchReview).join(Child).where(Child.number == number))
        assert review.relation == "father" and review.kind == "newly_eligible"
        list_id = review.list_id
    listing = admin.get(f"/console/matching/sources/{source_id}").get_data(as_text=True)
    assert "十一月.csv" in listing and "保存中" in listing
    assert "新建复核" in admin.get(f"/console/matching/lists/{list_id}").get_data(as_text=True)
    # an upload above the app's limit is refused before anything is read
    big = upload(admin, source_id, "大.csv", b"x" * (state.settings.max_content_length + 10))
    assert big.status_code == 413 and "请求内容过大" in big.get_data(as_text=True)


def test_who_manages_sources(state, login):
    assert login("operator").get("/console/matching/sources").status_code == 403
    assert login("agency_staff", "public_security:长春市/农安县").get("/console/matching/sources").status_code == 403
    assert login("supervisor").get("/console/matching/sources").status_code == 403
    assert login("agency_staff", NONGAN).get("/console/matching/sources").status_code == 200
    assert login("dispatcher").get("/console/matching/sources").status_code == 200


def imported_review(state, login) -> tuple[str, str]:  # noqa: ANN001
    number = registered(state)
    admin = login("admin")
    source_id = create_source(admin, map_name="姓名", map_id_number="身份证号", map_date="日期")
    assert upload(admin, source_id, "a.csv", f"姓名,身份证号,日期\n王建军,{FATHER},2026-11-01\n".encode()).status_code == 200
    with state.db.transaction(readonly=True) as session:
        review = session.scalar(select(MatchReview).join(Child).where(Child.number == number))
        return number, review.number


def test_queue_review_page_and_decision(state, login):
    child, number = imported_review(state, login)
    county = login("agency_staff", NONGAN)
    html = county.get("/console/matching/").get_data(as_text=True)
    assert number in html and child in html and "王小雨" in html and "疑似新增符合条件" in html
    assert "身份证号一致" in html and "99%" in html
    assert number not in login("agency_staff", LISHU).get("/console/matching/").get_data(as_text=True)
    assert login("operator").get("/console/matching/").status_code == 403
    dispatcher = login("dispatcher")
    shown = dispatcher.get("/console/matching/?status=open&kind=newly_eligible").get_data(as_text=True)
    assert number in shown and "王**" in shown and "王小雨" not in shown
    assert number not in dispatcher.get("/console/matching/?overdue=1").get_data(as_text=True)
    assert dispatcher.get("/console/matching/?kind=nonsense").status_code == 422
    page = dispatcher.get(f"/console/matching/reviews/{number}").get_data(as_text=True)
    assert "decide-form" not in page and "王**" in page
    assert dispatcher.post(f"/console/matching/reviews/{number}/decide",
                           {"action": "include", "note": "x"}).status_code == 403
    page = county.get(f"/console/matching/reviews/{number}").get_data(as_text=True)
    assert "decide-form" in page and "父亲的状况改为“服刑在押”" in page and FATHER not in page
    assert FATHER[:6] + "********" + FATHER[-4:] in page
    no_note = county.post(f"/console/matching/reviews/{number}/decide", {"action": "include", "note": ""})
    assert no_note.status_code == 422 and "请填写核实情况说明" in no_note.get_data(as_text=True)
    done = county.post(f"/console/matching/reviews/{number}/decide", {"action": "include", "note": "已核实收监"})
    assert done.status_code == 302
    page = county.get(f"/console/matching/reviews/{number}").get_data(as_text=True)
    assert "已核实-纳入保障" in page and "已核实收监" in page and "decide-form" not in page
    with state.db.transaction(readonly=True) as session:
        found = session.scalar(select(Child).where(Child.number == child))
        assert found.guardians[0].status == "imprisoned"
        assert session.scalar(select(ChildVersion.reason).where(ChildVersion.child_id == found.id)
                              .order_by(ChildVersion.version.desc()).limit(1)) == "match"
    assert "数据比对" in county.get(f"/console/children/{child}").get_data(as_text=True)


def test_a_purged_record_leaves_the_review_readable(state, login):
    _, number = imported_review(state, login)
    with state.db.transaction() as session:
        agency_lists.purge_due(session, utcnow() + timedelta(days=agency_lists.HARD_CAP_DAYS + 1))
    page = login("agency_staff", NONGAN).get(f"/console/matching/reviews/{number}")
    assert page.status_code == 200 and "原始记录已按保存期限删除" in page.get_data(as_text=True)
