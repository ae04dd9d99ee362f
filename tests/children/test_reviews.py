"""The review queue (数据比对复核): crafted noisy records matched to the right child and guardian (and no false
match), the kind each review gets by the rule table, deadlines in working days, the county's scope, the
decision writing the guardian's new situation with a version row, and re-imports without duplicates."""

from datetime import datetime

import pytest
from children_support import add_child, get, guardian, person, places
from sqlalchemy import select

from hotline.children import agency_lists, reviews
from hotline.children.matching import check_digit
from hotline.children.models import AgencyRecord, ChildVersion, Guardian, MatchReview
from hotline.children.places import import_places
from hotline.errors import Conflict, Forbidden, InputError, NotFound
from hotline.notifications.models import Notification
from hotline.tickets.workcalendar import WorkCalendar
from hotline.timeutil import SHANGHAI

NOW = datetime(2026, 12, 3, 17, 0, tzinfo=SHANGHAI)  # a Thursday
NONGAN = "civil_affairs:长春市/农安县"
LISHU = "civil_affairs:四平市/梨树县"
HEADER = "姓名,公民身份号码,出生日期,性别,户籍地,日期\n"


def make_id(area: str, birth: str, seq: str) -> str:
    first17 = area + birth + seq
    return first17 + check_digit(first17)


def id_ending_in_x(area: str, birth: str) -> str:
    seq = next(f"{n:03d}" for n in range(20, 999) if check_digit(f"{area}{birth}{n:03d}") == "X")
    return make_id(area, birth, seq)


CHILD1 = make_id("220122", "20160412", "002")
FATHER1 = make_id("220122", "19850214", "011")
MOTHER1 = id_ending_in_x("220122", "19870305")
CHILD2 = make_id("220322", "20150823", "013")
FATHER2 = make_id("220322", "19820117", "035")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def family(state) -> dict:  # noqa: ANN001
    """Three registered children: 王小雨 (农安县, left behind, parents away), 刘晨阳 (梨树县, father in
    prison), 白雪梅 (前郭县, disabled, no ID numbers)."""
    admin = person(state, "admin")
    with state.db.transaction() as session:
        import_places(session, "区县,乡镇（街道）,村（社区）\n松原市/前郭尔罗斯蒙古族自治县,查干花镇,,\n"
                               "松原市/前郭尔罗斯蒙古族自治县,查干花镇,查干花村,\n")
    one = add_child(state, admin, "陈家店村", name="王小雨", id_number=CHILD1, residence_address="陈家店村五社8号",
                    guardians=[guardian("father", "王建军", id_number=FATHER1),
                               guardian("mother", "李秀兰", id_number=MOTHER1)])
    two = add_child(state, admin, "闫家村", name="刘晨阳", id_number=CHILD2,
                    guardians=[guardian("father", "刘志强", id_number=FATHER2, status="imprisoned"),
                               guardian("grandparent", "张桂芝", status="normal")])
    three = add_child(state, admin, "查干花村", name="白雪梅", birth_date=datetime(2014, 6, 1).date(),
                      category="self_hardship", concerns=["disabled"],
                      guardians=[guardian("mother", "白玉兰", status="normal")])
    return {"admin": admin, "one": one, "two": two, "three": three}


def source(state, kind: str) -> int:  # noqa: ANN001
    """A source of this kind without a saved mapping (the headers are recognised)."""
    with state.db.transaction() as session:
        values = {f.name: None for f in agency_lists.SOURCE_SPEC.fields}
        values.update(kind=kind, name=f"测试{kind}", retention_days=30)
        return agency_lists.save_source(session, values).id


def import_csv(state, actor, source_id: int, text: str, *, now: datetime = NOW, days: int | None = None,  # noqa: ANN001
               calendar: WorkCalendar | None = None, filename: str = "名单.csv"):
    with state.db.transaction() as session:
        found = agency_lists.import_list(session, actor, source_id, filename, text.encode("utf-8-sig"),
                                         cipher=state.cipher, now=now,
                                         working_days=days or state.settings.review_working_days,
                                         calendar=calendar or state.calendar)
        return found.agency_list.id, found


def reviews_of(session, list_id: int) -> dict[int, list[MatchReview]]:  # noqa: ANN001
    """Row number of the record → its reviews."""
    out: dict[int, list[MatchReview]] = {}
    for review in session.scalars(select(MatchReview).where(MatchReview.list_id == list_id).order_by(MatchReview.id)):
        row = session.get(AgencyRecord, review.record_id).row_number
        out.setdefault(row, []).append(review)
    return out


def who(review: MatchReview) -> tuple[str, str]:
    return review.child.number, review.relation


def test_noisy_records_match_the_right_child_and_a_namesake_does_not(state):
    f = family(state)
    kind = source(state, "prison_admission")
    rows = [
        "王建军,220122850214011,,,,2026-11-01",  # 2: the father's 15-digit ID
        f"李秀兰,{MOTHER1.lower()},,,,2026-11-02",  # 3: lower-case x
        f"刘志强,{full_width(FATHER2)},,,,2026-11-03",  # 4: full-width digits
        "王 建 军,,1985/2/14,男,农安县合隆镇,2026-11-04",  # 5: spaces in the name, no ID
        "劉志強,,1982年1月17日,男,四平市梨树县榆树台镇闫家村,2026-11-05",  # 6: traditional characters
        "白玉兰,,,女,前郭县查干花镇查干花村,2026-11-06",  # 7: 前郭 for 前郭尔罗斯蒙古族自治县, no birth date
        "王建军,,1990-05-05,男,农安县,2026-11-07",  # 8: a namesake born on another day
        "赵无名,,1979-09-09,男,汪清县,2026-11-08",  # 9: nobody
    ]
    list_id, outcome = import_csv(state, f["admin"], kind, HEADER + "\n".join(rows) + "\n")
    with state.db.transaction(readonly=True) as session:
        found = reviews_of(session, list_id)
        assert {row: [who(r) for r in rs] for row, rs in found.items()} == {
            2: [(f["one"], "father")], 3: [(f["one"], "mother")], 4: [(f["two"], "father")],
            5: [(f["one"], "father")], 6: [(f["two"], "father")], 7: [(f["three"], "mother")],
        }
        assert found[2][0].confidence >= 0.95 and "身份证号一致" in found[2][0].reasons
        assert "姓名一致" in found[5][0].reasons and "出生日期一致" in found[5][0].reasons
        assert "村（社区）一致" in found[7][0].reasons
        father = session.get(Guardian, found[2][0].guardian_id)
        assert father.name == "王建军" and father.relation == "father"
        # only matched rows were stored, the ID sealed and masked
        records = list(session.scalars(select(AgencyRecord).where(AgencyRecord.list_id == list_id)))
        assert sorted(r.row_number for r in records) == [2, 3, 4, 5, 6, 7]
        assert all(r.name not in ("赵无名",) for r in records)
        first = next(r for r in records if r.row_number == 2)
        assert state.cipher.open(first.id_number_sealed) == FATHER1 and FATHER1 not in first.id_number_sealed
        assert first.id_number_masked == FATHER1[:6] + "********" + FATHER1[-4:]
        listed = session.get(MatchReview, found[2][0].id).source_list
        assert (listed.rows, listed.matched) == (8, 6)


def test_review_kinds_follow_the_rule_table(state):
    f = family(state)
    with state.db.transaction() as session:  # a child already in 监护困境
        village = places(session)["合隆村"]
    covered = add_child(state, f["admin"], village.name, name="孙佳怡", category="guardianship_hardship",
                        birth_date=datetime(2013, 2, 2).date(),
                        guardians=[guardian("father", "孙海涛", birth_date=datetime(1980, 3, 3).date())])

    def kinds(kind: str, text: str) -> dict:
        list_id, _ = import_csv(state, f["admin"], source(state, kind), HEADER + text)
        with state.db.transaction(readonly=True) as session:
            return {row: [(who(r), r.kind) for r in rs] for row, rs in reviews_of(session, list_id).items()}

    assert kinds("prison_admission", f"王建军,{FATHER1},,,,2026-11-01\n孙海涛,,1980-03-03,,农安县,2026-11-01\n") == {
        2: [((f["one"], "father"), "newly_eligible")], 3: [((covered, "father"), "changed")]}
    assert kinds("prison_release", f"刘志强,{FATHER2},,,,2026-11-01\n王建军,{FATHER1},,,,2026-11-01\n") == {
        2: [((f["two"], "father"), "should_exit")], 3: [((f["one"], "father"), "changed")]}
    assert kinds("disability", f"王小雨,{CHILD1},,,,2026-11-01\n白雪梅,,2014-06-01,女,前郭县,2026-11-01\n") == {
        2: [((f["one"], "child"), "newly_eligible")], 3: [((f["three"], "child"), "changed")]}
    assert kinds("death", f"王小雨,{CHILD1},,,,2026-11-01\n") == {2: [((f["one"], "child"), "changed")]}
    assert kinds("dibao", f"李秀兰,{MOTHER1},,,,2026-11-01\n") == {2: [((f["one"], "mother"), "newly_eligible")]}


def test_each_review_goes_to_the_childs_county_due_in_working_days(state, tmp_path):
    f = family(state)
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("years:\n  2027:\n    holidays: [2027-05-03, 2027-05-04, 2027-05-05]\n", encoding="utf-8")
    calendar = WorkCalendar(holidays)
    friday = datetime(2027, 4, 30, 10, 0, tzinfo=SHANGHAI)
    text = HEADER + f"王建军,{FATHER1},,,,2027-04-01\n刘志强,{FATHER2},,,,2027-04-01\n"
    list_id, outcome = import_csv(state, f["admin"], source(state, "prison_admission"), text, now=friday, days=3,
                                  calendar=calendar)
    assert outcome.reviews == 2 and outcome.duplicates == 0
    with state.db.transaction(readonly=True) as session:
        found = reviews_of(session, list_id)
        one, two = found[2][0], found[3][0]
        # three holidays after the weekend: Thursday, Friday, then Monday
        assert one.due_at == datetime(2027, 5, 10, 10, 0, tzinfo=SHANGHAI) and one.alert_at < one.due_at  # its first reminder
        assert one.unit.code == NONGAN and two.unit.code == LISHU
        assert one.number == "BD-20270430-00001" and two.number == "BD-20270430-00002"
        notes = session.scalars(select(Notification).where(Notification.kind == "match_review")).all()
        assert {n.unit.code for n in notes} >= {NONGAN, LISHU}
        assert all("王" not in n.title and FATHER1 not in (n.body or "") for n in notes)
    # the number follows the Beijing date (17:00 UTC is the next morning in Beijing) and the day's sequence
    late = datetime(2027, 4, 30, 17, 0, tzinfo=SHANGHAI).astimezone(SHANGHAI)
    list_id, _ = import_csv(state, f["admin"], source(state, "death"), HEADER + f"王小雨,{CHILD1},,,,2027-04-29\n",
                            now=late, calendar=calendar)
    with state.db.transaction(readonly=True) as session:
        assert reviews_of(session, list_id)[2][0].number == "BD-20270430-00003"
    utc_evening = datetime.fromisoformat("2027-04-30T17:00:00+00:00")
    list_id, _ = import_csv(state, f["admin"], source(state, "missing"), HEADER + f"王小雨,{CHILD1},,,,2027-04-29\n",
                            now=utc_evening, calendar=calendar)
    with state.db.transaction(readonly=True) as session:
        assert reviews_of(session, list_id)[2][0].number == "BD-20270501-00001"


def test_reimporting_the_same_file_creates_no_second_review(state):
    f = family(state)
    kind = source(state, "prison_admission")
    text = HEADER + f"王建军,{FATHER1},,,,2026-11-01\n刘志强,{FATHER2},,,,2026-11-01\n"
    first, outcome = import_csv(state, f["admin"], kind, text)
    assert outcome.reviews == 2
    second, again = import_csv(state, f["admin"], kind, text)
    assert (again.reviews, again.duplicates) == (0, 2)
    with state.db.transaction(readonly=True) as session:
        assert session.scalars(select(MatchReview).where(MatchReview.list_id == second)).all() == []
        # nothing new to review: the second list's rows are not stored either
        assert session.scalars(select(AgencyRecord).where(AgencyRecord.list_id == second)).all() == []
    # another event date for the same father is a new situation
    _, later = import_csv(state, f["admin"], kind, HEADER + f"王建军,{FATHER1},,,,2026-12-01\n")
    assert later.reviews == 1


def test_the_queue_is_scoped_to_the_county(state):
    f = family(state)
    list_id, _ = import_csv(state, f["admin"], source(state, "prison_admission"),
                            HEADER + f"王建军,{FATHER1},,,,2026-11-01\n刘志强,{FATHER2},,,,2026-11-01\n")
    nongan = person(state, "agency_staff", unit=NONGAN)
    lishu = person(state, "agency_staff", unit=LISHU)
    changchun = person(state, "agency_staff", unit="civil_affairs:长春市")
    province = person(state, "agency_staff", unit="civil_affairs:吉林省")
    police = person(state, "agency_staff", unit="public_security:长春市/农安县")
    dispatcher, operator = person(state, "dispatcher"), person(state, "operator")
    director = person(state, "child_director", place_names=("陈家店村",))
    with state.db.transaction(readonly=True) as session:
        found = reviews_of(session, list_id)
        one, two = found[2][0].number, found[3][0].number

        def seen(actor) -> set[str]:  # noqa: ANN001
            return {r.number for r in reviews.queue(session, actor, {}, NOW).reviews} & {one, two}

        assert seen(nongan) == {one} and seen(lishu) == {two} and seen(changchun) == {one}
        assert seen(province) == seen(dispatcher) == seen(f["admin"]) == {one, two}
        assert seen(police) == seen(operator) == seen(director) == set()
        assert reviews.get_review(session, nongan, one).number == one
        with pytest.raises(NotFound):
            reviews.get_review(session, nongan, two)
        # filters: kind, status, overdue (the deadline is ten working days away)
        assert {r.number for r in reviews.queue(session, nongan, {"kind": "newly_eligible"}, NOW).reviews} == {one}
        assert reviews.queue(session, nongan, {"overdue": True}, NOW).reviews == []
        later = datetime(2027, 1, 30, tzinfo=SHANGHAI)
        assert [r.number for r in reviews.queue(session, nongan, {"overdue": True}, later).reviews] == [one]
        assert reviews.queue(session, nongan, {"status": "confirmed"}, NOW).total == 0


def test_deciding_writes_the_guardians_situation_and_a_version(state):
    f = family(state)
    list_id, _ = import_csv(state, f["admin"], source(state, "prison_admission"),
                            HEADER + f"王建军,{FATHER1},,,,2026-11-01\n刘志强,{FATHER2},,,,2026-11-01\n")
    nongan = person(state, "agency_staff", unit=NONGAN)
    lishu = person(state, "agency_staff", unit=LISHU)
    dispatcher = person(state, "dispatcher")
    with state.db.transaction(readonly=True) as session:
        found = reviews_of(session, list_id)
        one, two = found[2][0].number, found[3][0].number
    with pytest.raises(InputError):  # a note is required
        reviews.DECIDE_SPEC.parse({"action": "update_record", "note": " "}, source="text")
    with state.db.transaction() as session, pytest.raises(Forbidden):
        reviews.decide(session, dispatcher, one, {"action": "update_record", "note": "已核实"}, NOW)
    with state.db.transaction() as session, pytest.raises(NotFound):
        reviews.decide(session, lishu, one, {"action": "update_record", "note": "已核实"}, NOW)
    with state.db.transaction() as session:
        assert reviews.planned_change(session, reviews.get_review(session, nongan, one)) == "父亲的状况改为“服刑在押”"
        decided = reviews.decide(session, nongan, one, {"action": "include", "note": "经核实已于11月收监，纳入监护困境保障"}, NOW)
        assert (decided.status, decided.action, decided.decided_by) == ("confirmed", "include", nongan.label)
    with state.db.transaction(readonly=True) as session:
        child = get(session, f["one"])
        assert [g.status for g in child.guardians] == ["imprisoned", "away"]
        version = session.scalars(select(ChildVersion).where(ChildVersion.child_id == child.id)
                                  .order_by(ChildVersion.version.desc())).first()
        assert (version.reason, version.actor, version.version) == ("match", nongan.label, child.version)
        assert "服刑在押" in " ".join(version.changes["guardians"][1])
    with state.db.transaction() as session, pytest.raises(Conflict):
        reviews.decide(session, nongan, one, {"action": "exit", "note": "再次处理"}, NOW)
    # a rejection changes nothing in the register
    with state.db.transaction() as session:
        before = get(session, f["two"]).version
        rejected = reviews.decide(session, lishu, two, {"action": "not_same_person", "note": "同名不同人"}, NOW)
        assert rejected.status == "rejected" and get(session, f["two"]).version == before


def test_a_release_confirmed_puts_the_guardian_back_to_normal(state):
    f = family(state)
    list_id, _ = import_csv(state, f["admin"], source(state, "prison_release"), HEADER + f"刘志强,{FATHER2},,,,2026-11-20\n")
    lishu = person(state, "agency_staff", unit=LISHU)
    with state.db.transaction() as session:
        number = reviews_of(session, list_id)[2][0].number
        review = reviews.decide(session, lishu, number, {"action": "exit", "note": "父亲已刑满释放回家，监护恢复"}, NOW)
        assert review.kind == "should_exit"
        assert [g.status for g in get(session, f["two"]).guardians] == ["normal", "normal"]
