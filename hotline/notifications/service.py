"""Writing a notification: one row for the app, and one outbox row per active webhook of the addressed
unit, in the caller's transaction (a job that is rolled back notifies nobody; delivery happens after
commit, by the ``webhooks`` job). Services flush, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import Role
from hotline.directory.models import AgencyUnit
from hotline.notifications.models import Notification, Webhook, WebhookDelivery
from hotline.timeutil import utcnow


class Notifier:
    """Writes the notifications of one unit of work (a job, a request), looking each unit's webhooks up
    once. Nothing is flushed: the caller's unit of work does that (a sweep writes thousands at once)."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()
        self._hooks: dict[int, list[Webhook]] = {}

    def _webhooks(self, unit: AgencyUnit) -> list[Webhook]:
        if unit.id not in self._hooks:
            self._hooks[unit.id] = list(self.session.scalars(
                select(Webhook).where(Webhook.unit_id == unit.id, Webhook.active.is_(True))))
        return self._hooks[unit.id]

    def send(
        self,
        *,
        kind: str,
        title: str,
        body: str | None = None,
        ref: str | None = None,
        link: str | None = None,
        unit: AgencyUnit | None = None,
        audience: Role | None = None,
        user_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> Notification | None:
        """Notify the staff of ``unit``, everyone with the role ``audience`` or one user (exactly one).

        With a ``dedupe_key`` already used, nothing is written and None is returned: a job that runs twice
        notifies once. Never put personal data in ``title`` or ``body`` (they leave the system by webhook).
        """
        if sum(x is not None for x in (unit, audience, user_id)) != 1:
            raise ValueError("notify: give exactly one of unit, audience or user_id")
        session, now = self.session, self.now
        if dedupe_key is not None:
            with session.no_autoflush:
                if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
                    return None
        note = Notification(created_at=now, unit=unit, audience=audience.value if audience else None,
                            user_id=user_id, kind=kind,
                            title=title[:200], body=body, ref=ref, link=link, dedupe_key=dedupe_key)
        session.add(note)
        if unit is not None:
            for hook in self._webhooks(unit):
                session.add(WebhookDelivery(webhook=hook, notification=note, status="pending", attempts=0,
                                            next_attempt_at=now, created_at=now))
        return note


def notify(session: Session, *, now: datetime | None = None, **message: Any) -> Notification | None:
    """One notification (see :meth:`Notifier.send` for the fields), flushed."""
    note = Notifier(session, now).send(**message)
    session.flush()
    return note
