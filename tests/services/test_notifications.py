"""The in-app inbox: who sees which notification (their unit's, their role's), unread counts, mark one read,
mark all read (the watermark), the 90-day horizon, paging; and notify()'s dedupe key and outbox rows."""

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.accounts.users import actor_for, create_user
from hotline.directory.units import get_unit
from hotline.errors import Forbidden, NotFound
from hotline.notifications import inbox
from hotline.notifications.models import Notification, NotificationRead, ReadMark, Webhook, WebhookDelivery
from hotline.notifications.service import notify
from hotline.timeutil import utcnow

NONGAN = "civil_affairs:长春市/农安县"
JIUTAI = "civil_affairs:长春市/九台区"
_ids = count(1)


def person(state, role: str, unit: str | None = None) -> Actor:
    with state.db.transaction() as session:
        user = create_user(session, f"n{role}{next(_ids)}", role, "Test-Passw0rd-long", unit_code=unit)
        return actor_for(user)


def send(state, title: str, *, unit: str | None = None, audience: Role | None = None, **kw) -> int | None:
    with state.db.transaction() as session:
        note = notify(session, kind=kw.pop("kind", "remind"), title=title, unit=get_unit(session, unit) if unit else None,
                      audience=audience, **kw)
        return note.id if note else None


def titles(state, actor: Actor, **kw) -> list[str]:
    with state.db.transaction(readonly=True) as session:
        return [i.notification.title for i in inbox.list_notifications(session, actor, **kw).items]


def unread(state, actor: Actor) -> int:
    with state.db.transaction(readonly=True) as session:
        return inbox.unread_count(session, actor)


def test_units_see_their_own_and_roles_see_theirs(state):
    nongan, nongan2, jiutai = person(state, "agency_staff", NONGAN), person(state, "agency_staff", NONGAN), \
        person(state, "agency_staff", JIUTAI)
    dispatcher, admin = person(state, "dispatcher"), person(state, "admin")
    send(state, "农安 工单即将超时", unit=NONGAN)
    send(state, "九台 工单已超期", unit=JIUTAI)
    send(state, "调度：督办升级", audience=Role.DISPATCHER)
    send(state, "全体承办单位：系统维护", audience=Role.AGENCY_STAFF)

    assert titles(state, nongan) == ["全体承办单位：系统维护", "农安 工单即将超时"]  # newest first
    assert titles(state, nongan2) == titles(state, nongan)
    assert titles(state, jiutai) == ["全体承办单位：系统维护", "九台 工单已超期"]
    assert titles(state, dispatcher) == ["调度：督办升级"]
    assert titles(state, admin) == []
    assert [unread(state, a) for a in (nongan, jiutai, dispatcher, admin)] == [2, 2, 1, 0]
    with state.db.transaction(readonly=True) as session:
        assert inbox.summary(session, admin) == {"unread": 0, "latest_id": 0}
        newest = session.scalar(select(func.max(Notification.id)))
        assert inbox.summary(session, nongan) == {"unread": 2, "latest_id": newest}


def test_mark_one_read_is_per_user_and_only_for_what_one_sees(state):
    nongan, nongan2, jiutai = person(state, "agency_staff", NONGAN), person(state, "agency_staff", NONGAN), \
        person(state, "agency_staff", JIUTAI)
    mine = send(state, "农安 提醒", unit=NONGAN)
    theirs = send(state, "九台 提醒", unit=JIUTAI)
    with state.db.transaction() as session:
        inbox.mark_read(session, nongan, mine)
        inbox.mark_read(session, nongan, mine)  # twice: still one mark
        with pytest.raises(NotFound):
            inbox.mark_read(session, nongan, theirs)  # another unit's: as if it did not exist
        with pytest.raises(NotFound):
            inbox.mark_read(session, nongan, 10**9)
    assert (unread(state, nongan), unread(state, nongan2), unread(state, jiutai)) == (0, 1, 1)
    with state.db.transaction(readonly=True) as session:
        [item] = inbox.list_notifications(session, nongan).items
        assert item.notification.id == mine and item.unread is False
        assert inbox.list_notifications(session, nongan2).items[0].unread is True
        assert session.scalar(select(func.count()).select_from(NotificationRead)
                              .where(NotificationRead.user_id == nongan.id)) == 1


def test_mark_all_read_moves_the_watermark_and_drops_single_marks(state):
    nongan = person(state, "agency_staff", NONGAN)
    first = send(state, "一", unit=NONGAN)
    send(state, "二", unit=NONGAN)
    send(state, "三", audience=Role.AGENCY_STAFF)
    send(state, "别的单位", unit=JIUTAI)
    with state.db.transaction() as session:
        inbox.mark_read(session, nongan, first)
        watermark = inbox.mark_all_read(session, nongan)
    assert unread(state, nongan) == 0
    with state.db.transaction(readonly=True) as session:
        assert session.get(ReadMark, nongan.id).read_before == watermark
        assert watermark == session.scalar(select(func.max(Notification.id)).where(Notification.title == "三"))
        assert session.scalar(select(func.count()).select_from(NotificationRead)
                              .where(NotificationRead.user_id == nongan.id)) == 0
    later = send(state, "四", unit=NONGAN)
    assert unread(state, nongan) == 1
    with state.db.transaction() as session:
        inbox.mark_read(session, nongan, first)  # below the watermark: read already, nothing written
        assert session.scalar(select(func.count()).select_from(NotificationRead)
                              .where(NotificationRead.user_id == nongan.id)) == 0
        inbox.mark_read(session, nongan, later)
        assert inbox.mark_all_read(session, nongan) == later  # the watermark never moves back
    assert unread(state, nongan) == 0


def test_old_notifications_count_as_read_and_the_count_is_capped(state):
    dispatcher = person(state, "dispatcher")
    send(state, "很久以前", audience=Role.DISPATCHER, now=utcnow() - inbox.HORIZON - timedelta(days=1))
    assert unread(state, dispatcher) == 0
    with state.db.transaction(readonly=True) as session:
        [item] = inbox.list_notifications(session, dispatcher).items
        assert item.unread is False
    with state.db.transaction() as session:
        for n in range(inbox.UNREAD_CAP + 5):
            notify(session, kind="remind", title=f"提醒 {n}", audience=Role.DISPATCHER)
    assert unread(state, dispatcher) == inbox.UNREAD_CAP


def test_pages_newest_first(state):
    supervisor = person(state, "supervisor")
    for n in range(25):
        send(state, f"第 {n} 条", audience=Role.SUPERVISOR)
    with state.db.transaction(readonly=True) as session:
        first = inbox.list_notifications(session, supervisor, page=1)
        second = inbox.list_notifications(session, supervisor, page=2)
    assert [i.notification.title for i in first.items][:2] == ["第 24 条", "第 23 条"] and first.has_next
    assert len(first.items) == 20 and len(second.items) == 5 and not second.has_next
    assert second.items[-1].notification.title == "第 0 条"


def test_tokens_have_no_inbox(state):
    token = Actor("token", "telephony", Role.DISPATCHER)
    with state.db.transaction() as session, pytest.raises(Forbidden):
        inbox.unread_count(session, token)
    with state.db.transaction() as session, pytest.raises(Forbidden):
        inbox.mark_all_read(session, token)


def test_notify_dedupes_and_queues_one_delivery_per_active_webhook(state):
    with state.db.transaction() as session:
        unit = get_unit(session, NONGAN)
        session.add(Webhook(unit=unit, url="http://127.0.0.1:9/hook", secret="s", active=True))
        session.add(Webhook(unit=get_unit(session, JIUTAI), url="http://127.0.0.1:9/off", secret="s", active=False))
        session.flush()
    first = send(state, "超期", unit=NONGAN, dedupe_key="overdue:ticket:1")
    again = send(state, "超期（再次运行）", unit=NONGAN, dedupe_key="overdue:ticket:1")
    send(state, "九台（推送已停用）", unit=JIUTAI)
    send(state, "给角色的不推送", audience=Role.DISPATCHER)
    assert first is not None and again is None
    with state.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.dedupe_key == "overdue:ticket:1")) == 1
        [delivery] = session.scalars(select(WebhookDelivery)).all()
        assert delivery.notification_id == first and delivery.status == "pending" and delivery.attempts == 0
    with pytest.raises(ValueError):
        with state.db.transaction() as session:
            notify(session, kind="remind", title="两者都给", unit=get_unit(session, NONGAN), audience=Role.ADMIN)
