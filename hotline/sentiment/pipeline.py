"""Units of work of the sentiment pipeline, shared by the API, the file import, the feed poll and the
worker. Each classifies outside any write transaction, then stores and groups in one short transaction:

- inline (no broker): ``ingest_batch`` stores, groups and (if the policy says so) opens leads at once;
- with a broker: ``ingest_batch`` only stores the new items and enqueues their ids after the commit;
  ``process_items`` (run by ``hotline worker``) groups the items still pending. A message delivered
  twice, or an item already grouped, changes nothing: delivery is at least once, storage idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import SYSTEM
from hotline.sentiment.analysis import Analysis, Text, analyze
from hotline.sentiment.grouping import group_items, lock_grouping
from hotline.sentiment.ingest import NewItem, Outcome, parse_one, store
from hotline.sentiment.leads import needs_lead, open_lead
from hotline.sentiment.models import SentimentEvent, SentimentItem
from hotline.timeutil import utcnow

if TYPE_CHECKING:
    from hotline.runtime import Runtime


def _classifier(runtime: Runtime) -> Any | None:
    return getattr(runtime.triage, "classifier", None)


def ingest_batch(runtime: Runtime, elements: Sequence[Any], *, feed_id: int | None = None) -> list[Outcome]:
    """Take a batch in (each element validated on its own); returns one outcome per element, in order."""
    now = utcnow()
    parsed = [parse_one(i, element, now) for i, element in enumerate(elements)]
    queue = runtime.sentiment_queue
    analyses: dict[int, Analysis] = {}
    if queue is None:
        valid = [(i, it) for i, it in enumerate(parsed) if isinstance(it, NewItem)]
        texts = [Text(it.text, it.title, it.published_at, it.author) for _, it in valid]
        analyses = {i: a for (i, _), a in zip(valid, analyze(_classifier(runtime), texts), strict=True)}
    with runtime.db.transaction() as session:
        outcomes, stored = store(session, parsed, feed_id=feed_id, now=now)
        if queue is None and stored:
            lock_grouping(session)
            events = group_items(session, [(row, analyses[row.index]) for row in stored], runtime.sentiment_policy)
            _auto_open(session, runtime, events)
        ids = [row.id for row in stored]
    if queue is not None and ids:
        queue.enqueue(ids)  # after the commit: a worker must find the rows
    return outcomes


def process_items(runtime: Runtime, ids: Sequence[int]) -> int:
    """Group the items of ``ids`` that are still pending (the worker's job); returns how many it grouped."""
    with runtime.db.transaction(readonly=True) as session:
        pending = list(session.scalars(select(SentimentItem).where(SentimentItem.id.in_(ids),
                                                                    SentimentItem.state == "pending")))
        texts = {item.id: Text(item.text, item.title, item.published_at, item.author) for item in pending}
    if not texts:
        return 0
    order = list(texts)
    analyses = dict(zip(order, analyze(_classifier(runtime), [texts[i] for i in order]), strict=True))
    with runtime.db.transaction() as session:
        lock_grouping(session)
        rows = session.scalars(select(SentimentItem).where(SentimentItem.id.in_(order),
                                                            SentimentItem.state == "pending")).all()
        if not rows:
            return 0
        events = group_items(session, [(row, analyses[row.id]) for row in rows], runtime.sentiment_policy)
        _auto_open(session, runtime, events)
        return len(rows)


def pending_ids(runtime: Runtime, limit: int = 10_000) -> list[int]:
    """Items stored but not yet grouped (after a broker outage: `hotline worker --requeue`)."""
    with runtime.db.transaction(readonly=True) as session:
        stmt = select(SentimentItem.id).where(SentimentItem.state == "pending").order_by(SentimentItem.id)
        return list(session.scalars(stmt.limit(limit)))


def _auto_open(session: Session, runtime: Runtime, events: Sequence[SentimentEvent]) -> None:
    """With ``auto_open_leads`` on, a high-risk event in a known county gets its lead without waiting."""
    if not runtime.sentiment_policy.auto_open_leads:
        return
    for event in dict.fromkeys(events):
        if needs_lead(event):
            open_lead(session, event, SYSTEM, policy=runtime.policy, taxonomy=runtime.taxonomy,
                      instructions="高风险舆情，系统自动下发，请核实情况并按时报告。")
