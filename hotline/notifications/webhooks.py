"""Units' outgoing webhooks, as an admin manages them: one per unit, an http(s) URL, a signing secret that
is shown once (at creation and at each rotation), on or off; and the recent deliveries with their status.
Services flush, never commit."""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.directory.models import AgencyUnit
from hotline.directory.units import get_unit
from hotline.errors import Conflict, InputError, NotFound
from hotline.inputs import Spec, Text
from hotline.notifications.models import Webhook, WebhookDelivery
from hotline.timeutil import utcnow

URL_MAX = 500
WEBHOOK_SPEC = Spec([
    Text(name="unit", label="承办单位代码", required=True, max_length=96, placeholder="civil_affairs:长春市/朝阳区"),
    Text(name="url", label="推送地址", required=True, max_length=URL_MAX, placeholder="https://sms-gateway.example/hotline",
         help="短信或邮件网关接收通知的地址（http:// 或 https://）"),
])
URL_SPEC = Spec([WEBHOOK_SPEC.field("url")])
_HOST = re.compile(r"[A-Za-z0-9.\-]+")


@dataclass(frozen=True)
class WebhookRow:
    """A webhook with its outbox counts, for the admin list."""

    webhook: Webhook
    pending: int
    failed: int
    delivered: int
    last_delivered_at: datetime | None


def check_url(raw: str) -> str:
    """An absolute http:// or https:// URL with a host, no credentials and no fragment; InputError (422) otherwise."""
    url = (raw or "").strip()
    if not url:
        raise InputError("请填写推送地址", code="bad_webhook_url", details={"field": "url"})
    if len(url) > URL_MAX or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise InputError(f"推送地址不能含空白或控制字符，且不超过 {URL_MAX} 字符", code="bad_webhook_url",
                         details={"field": "url"})
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        raise InputError("推送地址格式不正确", code="bad_webhook_url", details={"field": "url"}) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError("推送地址必须以 http:// 或 https:// 开头", code="bad_webhook_url", details={"field": "url"})
    host = parts.hostname or ""
    if not host or not _valid_host(host):
        raise InputError("推送地址缺少有效的主机名", code="bad_webhook_url", details={"field": "url"})
    if parts.username is not None or parts.password is not None:
        raise InputError("推送地址不能包含用户名或密码（请用签名校验来源）", code="bad_webhook_url",
                         details={"field": "url"})
    if parts.fragment or port == 0:
        raise InputError("推送地址格式不正确", code="bad_webhook_url", details={"field": "url"})
    return url


def _valid_host(host: str) -> bool:
    """A DNS name (internationalised ones too) or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(_HOST.fullmatch(name)) and not name.startswith((".", "-")) and ".." not in name


def new_secret() -> str:
    """A signing secret: 256 random bits, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


def webhooks(session: Session) -> list[WebhookRow]:
    """Every unit's webhook with its outbox counts, by unit name."""
    counts = {row.webhook_id: row for row in session.execute(
        select(WebhookDelivery.webhook_id,
               func.sum(case((WebhookDelivery.status == "pending", 1), else_=0)).label("pending"),
               func.sum(case((WebhookDelivery.status == "failed", 1), else_=0)).label("failed"),
               func.sum(case((WebhookDelivery.status == "delivered", 1), else_=0)).label("delivered"),
               func.max(WebhookDelivery.delivered_at).label("last"))
        .group_by(WebhookDelivery.webhook_id))}
    hooks = session.scalars(select(Webhook).join(Webhook.unit).order_by(AgencyUnit.name, Webhook.id)).all()
    out = []
    for hook in hooks:
        c = counts.get(hook.id)
        out.append(WebhookRow(hook, int(c.pending or 0) if c else 0, int(c.failed or 0) if c else 0,
                              int(c.delivered or 0) if c else 0, c.last if c else None))
    return out


def get_webhook(session: Session, webhook_id: int) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("推送配置不存在", code="webhook_not_found")
    return hook


def create_webhook(session: Session, unit_code: str, url: str, *, now: datetime | None = None) -> tuple[Webhook, str]:
    """A unit's webhook, active, with a fresh secret: returns the webhook and the secret (to show once)."""
    url = check_url(url)
    unit = get_unit(session, unit_code)
    if session.scalar(select(Webhook.id).where(Webhook.unit_id == unit.id)) is not None:
        raise Conflict(f"{unit.name}已配置推送地址，请在其页面修改", code="webhook_exists")
    secret = new_secret()
    hook = Webhook(unit=unit, url=url, secret=secret, active=True, created_at=now or utcnow())
    session.add(hook)
    session.flush()
    return hook, secret


def set_url(session: Session, webhook_id: int, url: str) -> Webhook:
    hook = get_webhook(session, webhook_id)
    hook.url = check_url(url)
    session.flush()
    return hook


def rotate_secret(session: Session, webhook_id: int) -> tuple[Webhook, str]:
    """A new secret (the old one stops verifying at once; deliveries not yet posted are signed with the new one)."""
    hook = get_webhook(session, webhook_id)
    hook.secret = new_secret()
    session.flush()
    return hook, hook.secret


def set_active(session: Session, webhook_id: int, active: bool) -> Webhook:
    """Start or stop posting to a webhook. While it is off, new notifications of the unit are not queued for
    it, and its pending deliveries wait (they are posted, in order, once it is on again)."""
    hook = get_webhook(session, webhook_id)
    hook.active = active
    session.flush()
    return hook


def recent_deliveries(session: Session, webhook_id: int, limit: int = 50) -> Sequence[WebhookDelivery]:
    """The webhook's latest deliveries, newest first."""
    return session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
                           .order_by(WebhookDelivery.id.desc()).limit(limit)).all()


def retry_delivery(session: Session, delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery:
    """Post a delivery that gave up again (from its first attempt), at the next run of the job."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("推送记录不存在", code="delivery_not_found")
    if delivery.status != "failed":
        raise Conflict("只有失败的推送可以重新投递", code="delivery_not_failed")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now or utcnow()
    session.flush()
    return delivery


def unit_choices(session: Session) -> list[tuple[str, str]]:
    """Every unit as (code, name), for the form that gives one a webhook."""
    return [(code, name) for code, name in session.execute(select(AgencyUnit.code, AgencyUnit.name)
                                                            .order_by(AgencyUnit.code))]
