"""The ``webhooks`` job: post due outbox rows (``WebhookDelivery``) to the units' webhooks.

1. Claim, in a short transaction: the active webhooks with due work (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so two runs never post for the same webhook at once), then up to ``PER_WEBHOOK`` of each
   one's due deliveries, oldest first. Their ``next_attempt_at`` moves forward by ``LEASE``: a run that
   crashes leaves them to be posted again after the lease, never lost (the receiver de-duplicates on
   ``X-Hotline-Delivery``). A delivery waits while an earlier one of the same webhook waits for a retry:
   one webhook's deliveries go out in order.
2. Post, outside any transaction: one thread per webhook (its deliveries one after another), each POST
   capped at ``settings.webhook_timeout_seconds`` of wall-clock time. A webhook stops for this run at its
   first failure, and no post starts once the run is that old, so a run takes at most about twice the
   timeout and a hanging endpoint delays no other unit.
3. Record, in a second short transaction: 2xx is delivered; anything else is an attempt that failed,
   retried after 1, 5, 15, 60 and 180 minutes, given up (``failed``) after the sixth attempt. Claimed
   deliveries not posted are released (due again at once, still in order).

Every scheduling decision uses ``ctx.now`` (``hotline sweep --now`` travels in time); the signature's
timestamp is the real clock (the receiver compares it with its own). The body never carries personal
data: notifications do not hold any.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import requests
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from hotline.notifications.models import Notification, Webhook, WebhookDelivery
from hotline.timeutil import iso_local

if TYPE_CHECKING:
    from hotline.runtime import Runtime
    from hotline.scheduling.jobs import JobContext

log = logging.getLogger(__name__)

#: wait after the 1st, 2nd … 5th failed attempt; the 6th failure gives up
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180))
MAX_ATTEMPTS = len(BACKOFF) + 1
#: claimed deliveries are not due again before this (longer than any run)
LEASE = timedelta(minutes=10)
PER_WEBHOOK = 50
MAX_WEBHOOKS = 64
USER_AGENT = "hotline-webhook/1 (12345 child-welfare hotline)"
SIGNATURE_HEADER = "X-Hotline-Signature"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
DELIVERY_HEADER = "X-Hotline-Delivery"


@dataclass(frozen=True)
class Outgoing:
    """One claimed delivery, as plain data for a worker thread (no ORM object leaves the transaction)."""

    delivery_id: int
    webhook_id: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    ok: bool
    status_code: int | None = None
    error: str | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}."`` followed by the raw body, keyed with the secret."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(delivery: WebhookDelivery) -> bytes:
    """The JSON body of a delivery (UTF-8, compact): what the notification says, never who it is about."""
    note: Notification = delivery.notification
    return json.dumps({
        "delivery_id": delivery.id,
        "notification_id": note.id,
        "unit": delivery.webhook.unit.code,
        "kind": note.kind,
        "title": note.title,
        "body": note.body,
        "ref": note.ref,
        "link": note.link,
        "created_at": iso_local(note.created_at),
    }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _text(raw: bytes) -> str:
    """A short, printable excerpt of what the endpoint answered."""
    text = raw.decode("utf-8", "replace")
    return "".join(c if c.isprintable() else " " for c in text).strip()[:200]


def _post(item: Outgoing, timeout: float) -> Outcome:
    started = time.monotonic()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(item.secret, timestamp, item.body),
        DELIVERY_HEADER: str(item.delivery_id),
    }
    try:
        response = requests.post(item.url, data=item.body, headers=headers, timeout=(timeout, timeout), stream=True,
                                 allow_redirects=False)
    except requests.ConnectTimeout:
        return Outcome(item.delivery_id, False, error="连接超时")
    except requests.Timeout:
        return Outcome(item.delivery_id, False, error=f"等待应答超时（{timeout:g} 秒）")
    except requests.ConnectionError:
        return Outcome(item.delivery_id, False, error="无法连接")
    except requests.RequestException as exc:
        return Outcome(item.delivery_id, False, error=f"请求失败：{type(exc).__name__}")
    try:
        code = response.status_code
        if 200 <= code < 300:
            return Outcome(item.delivery_id, True, code)
        body = b""
        try:  # a little of the answer, for the admin; never longer than the time left
            while len(body) < 1024 and time.monotonic() - started < timeout:
                chunk = response.raw.read1(1024)
                if not chunk:
                    break
                body += chunk
        except Exception:  # noqa: BLE001, S110 - the status code is what counts
            pass
        note = "（不跟随重定向）" if 300 <= code < 400 else (f"：{_text(body)}" if body.strip() else "")
        return Outcome(item.delivery_id, False, code, f"HTTP {code}{note}")
    finally:
        response.close()


def post(item: Outgoing, timeout: float) -> Outcome:
    """POST one delivery, taking at most ``timeout`` seconds of wall-clock time whatever the endpoint does
    (a server that drips its answer is abandoned at the cap; the request's own thread ends with its socket)."""
    box: list[Outcome] = []

    def run() -> None:
        try:
            box.append(_post(item, timeout))
        except Exception as exc:  # whatever happens is this delivery's failure, never the job's
            log.warning("webhook delivery %s failed: %s", item.delivery_id, type(exc).__name__)
            box.append(Outcome(item.delivery_id, False, error=f"请求失败：{type(exc).__name__}"))

    thread = threading.Thread(target=run, name=f"webhook-post-{item.delivery_id}", daemon=True)
    thread.start()
    thread.join(timeout)
    if box:
        return box[0]
    return Outcome(item.delivery_id, False, error=f"超时（{timeout:g} 秒内未完成）")


def _post_in_order(items: list[Outgoing], timeout: float, run_started: float) -> list[Outcome]:
    """One webhook's deliveries, one after another, until the first failure or the run's time is up."""
    outcomes = []
    for item in items:
        if time.monotonic() - run_started >= timeout:
            break
        outcome = post(item, timeout)
        outcomes.append(outcome)
        if not outcome.ok:
            break
    return outcomes


def _due(now: datetime):  # noqa: ANN202 - a SQL condition on WebhookDelivery
    earlier = aliased(WebhookDelivery)
    waiting = exists().where(earlier.webhook_id == WebhookDelivery.webhook_id, earlier.status == "pending",
                             earlier.id < WebhookDelivery.id, earlier.next_attempt_at > now)
    return (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now) & ~waiting


def claim(session: Session, now: datetime) -> tuple[datetime, list[list[Outgoing]]]:
    """Lease the due deliveries: the lease's end (the claim's token) and the deliveries by webhook, in order."""
    due = _due(now)
    oldest = (select(func.min(WebhookDelivery.next_attempt_at))
              .where(WebhookDelivery.webhook_id == Webhook.id, due).scalar_subquery())
    hook_ids = list(session.scalars(
        select(Webhook.id).where(Webhook.active.is_(True), exists().where(WebhookDelivery.webhook_id == Webhook.id, due))
        .order_by(oldest, Webhook.id).limit(MAX_WEBHOOKS).with_for_update(skip_locked=True)))
    lease_until = now + LEASE
    if not hook_ids:
        return lease_until, []
    rank = func.row_number().over(partition_by=WebhookDelivery.webhook_id, order_by=WebhookDelivery.id).label("rank")
    ranked = select(WebhookDelivery.id, rank).where(WebhookDelivery.webhook_id.in_(hook_ids), due).subquery()
    ids = list(session.scalars(select(ranked.c.id).where(ranked.c.rank <= PER_WEBHOOK)))
    groups: dict[int, list[Outgoing]] = {}
    for delivery in session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                                    .order_by(WebhookDelivery.webhook_id, WebhookDelivery.id)):
        delivery.next_attempt_at = lease_until
        hook = delivery.webhook
        groups.setdefault(hook.id, []).append(Outgoing(delivery.id, hook.id, hook.url, hook.secret, payload(delivery)))
    session.flush()
    return lease_until, list(groups.values())


def record(session: Session, now: datetime, lease_until: datetime, outcomes: list[Outcome],
           released: list[int]) -> dict[str, int]:
    """Write what happened to each posted delivery, and give back the claimed ones not posted."""
    counts = {"webhooks_sent": 0, "webhooks_retry": 0, "webhooks_failed": 0}
    for outcome in outcomes:
        row = session.get(WebhookDelivery, outcome.delivery_id)
        if row is None or row.status != "pending" or row.next_attempt_at != lease_until:
            continue  # no longer ours (the lease ran out and another run took it)
        row.attempts += 1
        row.last_attempt_at, row.last_status_code = now, outcome.status_code
        if outcome.ok:
            row.status, row.delivered_at, row.last_error = "delivered", now, None
            counts["webhooks_sent"] += 1
        else:
            row.last_error = (outcome.error or "失败")[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                counts["webhooks_failed"] += 1
            else:
                row.next_attempt_at = now + BACKOFF[row.attempts - 1]
                counts["webhooks_retry"] += 1
    for delivery_id in released:
        row = session.get(WebhookDelivery, delivery_id)
        if row is not None and row.status == "pending" and row.next_attempt_at == lease_until:
            row.next_attempt_at = now
    session.flush()
    return counts


def deliver(runtime: Runtime, now: datetime) -> dict[str, int]:
    """One run: claim, post concurrently across webhooks, record."""
    timeout = runtime.settings.webhook_timeout_seconds
    with runtime.db.transaction() as session:
        lease_until, groups = claim(session, now)
    if not groups:
        return {"webhooks_sent": 0, "webhooks_retry": 0, "webhooks_failed": 0}
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="webhook")
    futures = {pool.submit(_post_in_order, items, timeout, started): items for items in groups}
    # every worker is done by about twice the timeout; one that is not is left behind, and its deliveries
    # stay leased (posted again after the lease)
    finished, _ = wait(futures, timeout=2 * timeout + 5)
    pool.shutdown(wait=False, cancel_futures=True)
    outcomes: list[Outcome] = []
    released: list[int] = []
    for future in finished:
        done = future.result()
        outcomes.extend(done)
        posted = {o.delivery_id for o in done}
        released.extend(item.delivery_id for item in futures[future] if item.delivery_id not in posted)
    with runtime.db.transaction() as session:
        return record(session, now, lease_until, outcomes, released)


def deliver_due(ctx: JobContext) -> dict[str, int]:
    """The ``webhooks`` job (non-transactional: it opens its own two short units of work)."""
    return deliver(ctx.runtime, ctx.now)
