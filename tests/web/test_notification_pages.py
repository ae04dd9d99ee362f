"""Notifications in the console: the header badge, the list, the JSON the header polls, mark read / mark all
read (POST with CSRF), another unit's notification is 404, polls do not keep an idle session alive; the
admins' webhook pages (403 for everyone else, a bad URL refused in Chinese, the secret shown once, the
deliveries listed)."""

import re
from datetime import timedelta

from sqlalchemy import select

from hotline.accounts.models import Role
from hotline.directory.units import get_unit
from hotline.notifications.models import Webhook, WebhookDelivery
from hotline.notifications.service import notify
from hotline.timeutil import utcnow

NONGAN = "civil_affairs:长春市/农安县"
JIUTAI = "civil_affairs:长春市/九台区"


def send(state, title, unit=None, audience=None, link=None) -> int:
    with state.db.transaction() as session:
        return notify(session, kind="overdue", title=title, unit=get_unit(session, unit) if unit else None,
                      audience=audience, ref="ticket:12345-20261204-00007", link=link).id


def badge(html: str) -> tuple[str, bool]:
    found = re.search(r'<span id="notify-count" class="notify-count"( hidden)?>([^<]*)</span>', html)
    assert found, "no badge in the header"
    return found.group(2), found.group(1) is None


def summary(browser) -> dict:
    resp = browser.client.get("/console/notifications/summary", headers={"Accept": "application/json"})
    assert resp.status_code == 200
    return resp.get_json()


def test_badge_list_summary_and_marking_read(state, login):
    staff = login("agency_staff", NONGAN)
    assert badge(staff.get("/console/inbox").get_data(as_text=True)) == ("0", False)
    first = send(state, "工单 12345-20261204-00007 已超期", NONGAN, link="/console/tickets/12345-20261204-00007")
    second = send(state, "全体承办单位：今晚系统维护", audience=Role.AGENCY_STAFF)
    send(state, "九台的事", JIUTAI)

    page = staff.get("/console/inbox").get_data(as_text=True)
    assert badge(page) == ("2", True) and f'data-latest="{second}"' in page
    assert 'id="ticket-list" data-live' in page and "js/notifications.js" in page
    assert summary(staff) == {"unread": 2, "latest_id": second}

    listing = staff.get("/console/notifications").get_data(as_text=True)
    assert "九台的事" not in listing
    assert re.search(rf'<tr class="unread" id="notification-{first}">', listing)
    assert 'href="/console/tickets/12345-20261204-00007"' in listing

    assert staff.client.post(f"/console/notifications/{first}/read").status_code == 400  # no CSRF token
    resp = staff.post(f"/console/notifications/{first}/read", {"next": "/console/notifications?page=1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/console/notifications?page=1")
    assert summary(staff)["unread"] == 1
    listing = staff.get("/console/notifications").get_data(as_text=True)
    assert re.search(rf'<tr class="" id="notification-{first}">', listing)

    colleague = login("agency_staff", NONGAN)  # read marks are per person
    assert summary(colleague)["unread"] == 2

    assert staff.post("/console/notifications/read-all").status_code == 302
    assert summary(staff) == {"unread": 0, "latest_id": second}
    assert badge(staff.get("/console/notifications").get_data(as_text=True)) == ("0", False)


def test_another_units_notification_is_not_found(state, login):
    theirs = send(state, "九台的事", JIUTAI)
    staff = login("agency_staff", NONGAN)
    assert staff.post(f"/console/notifications/{theirs}/read").status_code == 404
    assert staff.post("/console/notifications/999999/read").status_code == 404
    dispatcher = login("dispatcher")
    assert dispatcher.post(f"/console/notifications/{theirs}/read").status_code == 404


def test_unsafe_links_are_not_rendered_and_the_badge_caps(state, login):
    send(state, "奇怪的链接", audience=Role.SUPERVISOR, link="//evil.example/x")
    supervisor = login("supervisor")
    listing = supervisor.get("/console/notifications").get_data(as_text=True)
    assert "evil.example" not in listing and "奇怪的链接" in listing
    with state.db.transaction() as session:
        for n in range(105):
            notify(session, kind="remind", title=f"提醒 {n}", audience=Role.SUPERVISOR)
    assert badge(supervisor.get("/console/notifications").get_data(as_text=True)) == ("99+", True)


def test_polling_does_not_keep_an_idle_session_alive(state, login):
    staff = login("agency_staff", NONGAN)
    idle_since = utcnow().timestamp() - 600
    with staff.client.session_transaction() as sess:
        sess["seen"] = idle_since
    polled = staff.client.get("/console/notifications/summary",
                              headers={"Accept": "application/json", "X-Hotline-Poll": "1"})
    assert polled.status_code == 200
    assert staff.client.get("/console/inbox", headers={"X-Hotline-Poll": "1"}).status_code == 200  # the list refresh
    with staff.client.session_transaction() as sess:
        assert sess["seen"] == idle_since
    staff.client.get("/console/notifications/summary", headers={"Accept": "application/json"})  # a person's request
    with staff.client.session_transaction() as sess:
        assert sess["seen"] > idle_since
    with staff.client.session_transaction() as sess:
        sess["seen"] = utcnow().timestamp() - 31 * 60
    expired = staff.client.get("/console/notifications/summary",
                               headers={"Accept": "application/json", "X-Hotline-Poll": "1"})
    assert expired.status_code == 401  # the script stops polling


def test_webhook_admin_is_for_admins_only(login):
    for role, unit in (("dispatcher", None), ("supervisor", None), ("operator", None), ("agency_staff", NONGAN)):
        browser = login(role, unit)
        assert browser.get("/console/notifications/webhooks").status_code == 403
        assert browser.post("/console/notifications/webhooks", {"unit": NONGAN, "url": "https://x.example/h"}
                            ).status_code == 403
    assert login("admin").get("/console/notifications/webhooks").status_code == 200


def test_bad_urls_are_refused_in_chinese(state, login):
    admin = login("admin")
    for url, message in (("ftp://gateway.example/h", "必须以 http:// 或 https:// 开头"),
                         ("javascript:alert(1)", "必须以 http:// 或 https:// 开头"),
                         ("http://", "缺少有效的主机名"),
                         ("https://user:pw@gateway.example/h", "不能包含用户名或密码"),
                         ("https://gateway.example:99999/h", "格式不正确")):
        resp = admin.post("/console/notifications/webhooks", {"unit": NONGAN, "url": url})
        assert resp.status_code == 422, url
        assert message in resp.get_data(as_text=True), url
    resp = admin.post("/console/notifications/webhooks", {"unit": "civil_affairs:火星", "url": "https://g.example/h"})
    assert resp.status_code == 422 and "承办单位代码" in resp.get_data(as_text=True)
    with state.db.transaction(readonly=True) as session:
        assert session.scalars(select(Webhook)).all() == []


def test_secret_shown_once_rotation_toggle_and_deliveries(state, login):
    admin = login("admin")
    resp = admin.post("/console/notifications/webhooks", {"unit": NONGAN, "url": "https://sms.example/hotline"})
    assert resp.status_code == 201
    secret = re.search(r"<code>(whsec_[\w-]+)</code>", resp.get_data(as_text=True)).group(1)
    with state.db.transaction(readonly=True) as session:
        hook = session.scalar(select(Webhook))
        assert hook.secret == secret and hook.active and hook.url == "https://sms.example/hotline"
    page = admin.get(f"/console/notifications/webhooks/{hook.id}").get_data(as_text=True)
    assert secret not in page and "https://sms.example/hotline" in page  # shown once only
    assert secret not in admin.get("/console/notifications/webhooks").get_data(as_text=True)
    again = admin.post("/console/notifications/webhooks", {"unit": NONGAN, "url": "https://other.example/h"})
    assert again.status_code == 409

    rotated = admin.post(f"/console/notifications/webhooks/{hook.id}/secret").get_data(as_text=True)
    new_secret = re.search(r"<code>(whsec_[\w-]+)</code>", rotated).group(1)
    assert new_secret != secret
    assert admin.post(f"/console/notifications/webhooks/{hook.id}/url", {"url": "mailto:a@b.c"}).status_code == 422
    assert admin.post(f"/console/notifications/webhooks/{hook.id}/url",
                      {"url": "http://10.0.0.5:8080/sms"}).status_code == 302
    assert admin.post(f"/console/notifications/webhooks/{hook.id}/active", {"active": "false"}).status_code == 302
    with state.db.transaction(readonly=True) as session:
        hook = session.get(Webhook, hook.id)
        assert (hook.secret, hook.url, hook.active) == (new_secret, "http://10.0.0.5:8080/sms", False)
    admin.post(f"/console/notifications/webhooks/{hook.id}/active", {"active": "true"})

    now = utcnow()
    with state.db.transaction() as session:
        note = notify(session, kind="overdue", title="工单已超期", unit=get_unit(session, NONGAN), now=now)
        delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.notification_id == note.id))
        delivery.status, delivery.attempts, delivery.last_status_code = "failed", 6, 503
        delivery.last_error, delivery.last_attempt_at = "HTTP 503：网关繁忙", now - timedelta(minutes=3)
        delivery_id = delivery.id
    page = admin.get(f"/console/notifications/webhooks/{hook.id}").get_data(as_text=True)
    for text in ("工单已超期", "已放弃", "HTTP 503：网关繁忙", "503", "重新投递"):
        assert text in page, text
    assert admin.post(f"/console/notifications/deliveries/{delivery_id}/retry").status_code == 302
    with state.db.transaction(readonly=True) as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert (row.status, row.attempts) == ("pending", 0)
    assert admin.post(f"/console/notifications/deliveries/{delivery_id}/retry").status_code == 302  # refused, flashed
    assert admin.get("/console/notifications/webhooks/999999").status_code == 404
    listing = admin.get("/console/notifications/webhooks").get_data(as_text=True)
    assert "农安县" in listing and "http://10.0.0.5:8080/sms" in listing


def test_notification_pages_need_a_login(client):
    resp = client.get("/console/notifications")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/console/notifications/summary", headers={"Accept": "application/json"}).status_code == 401
