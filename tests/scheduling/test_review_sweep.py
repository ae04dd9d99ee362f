"""Match reviews' deadlines enforce themselves like leads': a reminder to the county's civil-affairs bureau,
overdue to it and the prefecture's, 督办 escalation to the prefecture one working day later (the prefecture's
staff then see it in their queue), and nothing more once the review is decided."""

from datetime import datetime, timedelta

from children_support import add_child, guardian, person
from sqlalchemy import select
from sweep_support import sweep_directly

from hotline.children import agency_lists, reviews
from hotline.children.matching import check_digit
from hotline.children.models import MatchReview
from hotline.notifications.models import Notification
from hotline.timeutil import SHANGHAI

IMPORTED = datetime(2026, 12, 3, 17, 0, tzinfo=SHANGHAI)  # Thursday
FATHER = "22012219850214011" + check_digit("22012219850214011")




def review_of(state) -> MatchReview:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        found = session.scalars(select(MatchReview).order_by(MatchReview.id.desc())).first()
        session.expunge(found)
        return found


def titles(state, ref: str) -> list[tuple[str, str]]:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        rows = session.scalars(select(Notification).where(Notification.ref == ref).order_by(Notification.id))
        return [(n.kind, n.unit.code if n.unit else n.audience) for n in rows]


def test_an_open_review_is_reminded_escalated_and_left_alone_once_decided(state):
    admin = person(state, "admin")
    add_child(state, admin, "陈家店村", name="王小雨", guardians=[guardian("father", "王建军", id_number=FATHER)])
    with state.db.transaction() as session:
        values = {f.name: None for f in agency_lists.SOURCE_SPEC.fields}
        values.update(kind="prison_admission", name="监狱收监名单", retention_days=30)
        source_id = agency_lists.save_source(session, values).id
    with state.db.transaction() as session:
        agency_lists.import_list(session, admin, source_id, "收监.csv",
                                 f"姓名,公民身份号码,日期\n王建军,{FATHER},2026-11-20\n".encode(),
                                 cipher=state.cipher, now=IMPORTED, working_days=3, calendar=state.calendar)
    review = review_of(state)
    ref = f"review:{review.number}"
    assert review.unit.code == "civil_affairs:长春市/农安县"
    first = reviews.running_clocks(review)[0]
    assert review.alert_at == first.start + (first.due - first.start) * 2 / 3  # the sweep's first look
    sweep_directly(state, review.alert_at - timedelta(minutes=1))
    assert titles(state, ref) == []
    sweep_directly(state, review.alert_at)
    assert titles(state, ref) == [("remind", "civil_affairs:长春市/农安县")]
    sweep_directly(state, review.due_at + timedelta(minutes=1))
    assert ("overdue", "civil_affairs:长春市") in titles(state, ref)
    later = sweep_directly(state, review.due_at + timedelta(days=1, minutes=1))  # a working day overdue (a Wednesday)
    assert later["escalated"] == 1
    escalated = review_of(state)
    with state.db.transaction(readonly=True) as session:
        found = session.get(MatchReview, escalated.id)
        assert found.escalated_unit.code == "civil_affairs:长春市" and found.supervision_count == 1
    county = person(state, "agency_staff", unit="civil_affairs:长春市/农安县")
    with state.db.transaction() as session:
        reviews.decide(session, county, review.number, {"action": "not_same_person", "note": "非同一人"},
                       review.due_at + timedelta(days=5))
    with state.db.transaction(readonly=True) as session:
        assert session.get(MatchReview, review.id).alert_at is None
    before = titles(state, ref)
    sweep_directly(state, review.due_at + timedelta(days=30))
    assert titles(state, ref) == before
