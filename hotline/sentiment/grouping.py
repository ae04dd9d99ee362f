"""Grouping stored items into events, a batch at a time, through the database index
(``sentiment_story_keys``): the batch's keys are looked up once, within their time windows, never the
whole store; each item then joins the event of the item it most surely repeats (``classifier.stories``)
or opens a new one, and each event touched is updated once. Services flush, never commit."""

from __future__ import annotations

import threading
import zlib
from bisect import bisect_left, bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from classifier.stories import Fingerprint, KeyIndex, StoryParams, assign, fingerprint, window_of
from hotline.db import serialize
from hotline.sentiment.analysis import Analysis
from hotline.sentiment.models import SentimentEvent, SentimentItem, StoryKey
from hotline.sentiment.policy import RISKS, SentimentPolicy
from hotline.timeutil import utcnow

PARAMS = StoryParams()
GROUPING_LOCK = 72_400_001
#: an event's speed counts the items of its busiest hour
HOUR = timedelta(hours=1)
#: keys per lookup query (SQLite allows 32,766 parameters; PostgreSQL more)
KEYS_PER_QUERY = 900


def lock_grouping(session: Session) -> None:
    """One grouping at a time across processes: two workers must not open two events for one story."""
    serialize(session, GROUPING_LOCK)


def stamp(text: str, title: str | None, published_at: datetime, prefecture: str | None, county: str | None,
          category: str | None, author: str | None) -> int:
    """A checksum of what an item's fingerprint is computed from. The time is taken in UTC: an item just
    posted carries its sender's zone, the same item read back from the database carries UTC, and both must
    give one stamp (else a fingerprint not in ``FINGERPRINTS`` could never be found again)."""
    if published_at.tzinfo is not None:
        published_at = published_at.astimezone(UTC)
    basis = "\x1f".join(str(v) for v in (text, title, published_at, prefecture, county, category, author))
    return zlib.crc32(basis.encode("utf-8")) & 0x7FFFFFFF


def _stored_stamp(item: SentimentItem) -> int:
    return stamp(item.text, item.title, item.published_at, item.prefecture, item.county, _category(item), item.author)


def _category(item: SentimentItem) -> str | None:
    return item.category if item.relevant else None


class Member(Protocol):
    """What grouping needs of an item (a stored row, or ``ingest.Stored`` just inserted)."""

    id: int
    text: str
    title: str | None
    author: str | None
    published_at: datetime
    reposts: int
    comments: int
    likes: int


class FingerprintCache:
    """Fingerprints of recently grouped items, by (item id, stamp): the items a new one is compared with
    are mostly recent, and recomputing theirs would cost more than the rest of the grouping."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, int], Fingerprint] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> Fingerprint | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[Fingerprint | None]:
        """``[get(key) for key in keys]`` under one acquisition of the lock (an item's candidates at once)."""
        with self._lock:
            entries, found = self._entries, []
            for key in keys:
                fp = entries.get(key)
                if fp is not None:
                    entries.move_to_end(key)
                found.append(fp)
            return found

    def put(self, key: tuple[int, int], fp: Fingerprint) -> None:
        with self._lock:
            self._entries[key] = fp
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


FINGERPRINTS = FingerprintCache()


def stored_fingerprint(item: SentimentItem) -> Fingerprint:
    """The fingerprint of a stored item, as it was when the item was grouped."""
    return fingerprint(item.text, item.title, published_at=item.published_at, prefecture=item.prefecture,
                       county=item.county, category=_category(item), author=item.author)


class _Batch:
    """The index for one batch: the stored entries of the batch's keys, plus the batch's own items."""

    def __init__(self, session: Session, fps: Sequence[Fingerprint]) -> None:
        self.session = session
        self.index: KeyIndex[tuple[int, int]] = KeyIndex(PARAMS)
        moments = [fp.published_at for fp in fps if fp.published_at is not None]
        keys = sorted({key for fp in fps for key in fp.keys})
        rows = []
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start:start + KEYS_PER_QUERY]
            for kind in {PARAMS.repost_window, PARAMS.story_window}:  # each key once, in its window
                of_kind = [key for key in chunk if window_of(key, PARAMS) == kind]
                if of_kind:
                    rows += self._entries(of_kind, min(moments) - kind, max(moments) + kind)
        for key, event_id, item_id, item_stamp, moment in sorted(rows, key=lambda row: row[4]):
            self.index.record(key, str(event_id), (item_id, item_stamp), moment)

    def _entries(self, keys: list[str], since: datetime, until: datetime) -> list:
        stmt = select(StoryKey.key, StoryKey.event_id, StoryKey.item_id, StoryKey.stamp, StoryKey.published_at
                      ).where(StoryKey.key.in_(keys), StoryKey.published_at.between(since, until))
        # plain tuples, not Rows: tens of thousands per batch, and a Row is tracked by the garbage collector
        # (kept until the batch is indexed, they would reach the oldest generation and bring on full
        # collections); a tuple of plain values is dropped from tracking at the first collection
        return [tuple(row) for row in self.session.execute(stmt)]

    def candidates(self, fp: Fingerprint) -> list[tuple[str, Fingerprint]]:
        pairs = self.index.candidates(fp)
        refs = [(event, ref, found) for (event, ref), found in zip(
            pairs, FINGERPRINTS.get_many([ref for _, ref in pairs]), strict=True)]
        missing = [ref[0] for _, ref, found in refs if found is None]
        if missing:
            loaded = {}
            for row in self.session.scalars(select(SentimentItem).where(SentimentItem.id.in_(missing))):
                key = (row.id, _stored_stamp(row))
                loaded[key] = found = stored_fingerprint(row)
                FINGERPRINTS.put(key, found)
            refs = [(event, ref, found or loaded.get(ref)) for event, ref, found in refs]
        # a ref not found: the item changed since it was indexed (never in normal use)
        return [(event, found) for event, _, found in refs if found is not None]

    def add(self, event: str, ref: tuple[int, int], fp: Fingerprint) -> list[str]:
        """Index the item REF (id, stamp) under EVENT (an event id, or a new event's placeholder); returns
        the keys the event did not hold yet."""
        FINGERPRINTS.put(ref, fp)
        return self.index.add(event, ref, fp)


def group_items(session: Session, pairs: Sequence[tuple[Member, Analysis]],
                policy: SentimentPolicy) -> list[SentimentEvent]:
    """Label each item, put it into its event (an existing one or a new one), in publication order, and
    update every event touched once; returns the touched events. Hold ``lock_grouping`` first."""
    pairs = sorted(pairs, key=lambda pair: (pair[0].published_at, pair[0].id))
    batch = _Batch(session, [analysis.fingerprint for _, analysis in pairs])
    events: dict[str, SentimentEvent] = {}  # by id, or by placeholder ("new3") until flushed
    members: dict[str, list[tuple[Member, Analysis]]] = defaultdict(list)
    new_keys: list[dict] = []
    with session.no_autoflush:
        for item, analysis in pairs:
            fp = analysis.fingerprint
            ref = assign(fp, batch.candidates(fp), PARAMS)
            if ref is None:
                ref = f"new{len(events)}"
                events[ref] = _new_event(item)
                session.add(events[ref])
            members[ref].append((item, analysis))
            a = analysis
            item_stamp = stamp(item.text, item.title, item.published_at, a.prefecture, a.county,
                               a.category if a.relevant else None, item.author)
            new_keys += [{"key": key[:80], "item_id": item.id, "event": ref, "stamp": item_stamp,
                          "published_at": item.published_at} for key in batch.add(ref, (item.id, item_stamp), fp)]
    joined = [int(ref) for ref in members if ref not in events]
    events.update((str(event.id), event) for event in session.scalars(
        select(SentimentEvent).where(SentimentEvent.id.in_(joined))))
    session.flush()  # the new events' ids, in one statement
    for row in new_keys:
        row["event_id"] = events[row.pop("event")].id
    if new_keys:
        session.execute(insert(StoryKey.__table__), new_keys)
    now = utcnow()
    session.execute(update(SentimentItem), [  # by primary key, one statement
        {"id": item.id, "event_id": events[ref].id, "state": "processed", "processed_at": now,
         "relevant": a.relevant, "category": a.category, "polarity": a.polarity, "risk": a.risk,
         "confidence": a.confidence, "prefecture": a.prefecture, "county": a.county}
        for ref, pairs_of in members.items() for item, a in pairs_of])
    peaks = _peaks(session, {events[ref].id: [item for item, _ in pairs_of] for ref, pairs_of in members.items()})
    for ref, pairs_of in members.items():
        _update(events[ref], pairs_of, peaks[events[ref].id], policy)
    session.flush()
    return list(events.values())


def _new_event(item: Member) -> SentimentEvent:
    return SentimentEvent(title=_title(item), headline=bool(item.title), first_seen=item.published_at,
                          last_seen=item.published_at, item_count=0, reposts=0, comments=0, likes=0, risk="low",
                          risk_reasons=[], relevant=False, item_risk=None, peak_per_hour=0)


def _title(item: Member) -> str:
    return (item.title or item.text).strip().replace("\n", " ")[:200]


def _peaks(session: Session, by_event: dict[int, list[Member]]) -> dict[int, int]:
    """For each event, the most items it gained in one hour ending at one of the new items."""
    new = {item.id for items in by_event.values() for item in items}
    moments = [item.published_at for items in by_event.values() for item in items]
    stored: dict[int, list[datetime]] = defaultdict(list)
    stmt = select(SentimentItem.event_id, SentimentItem.id, SentimentItem.published_at).where(
        SentimentItem.event_id.in_(list(by_event)),
        SentimentItem.published_at.between(min(moments) - HOUR, max(moments)))
    for event_id, item_id, moment in session.execute(stmt):
        if item_id not in new:
            stored[event_id].append(moment)
    peaks = {}
    for event_id, items in by_event.items():
        times = sorted(stored[event_id] + [item.published_at for item in items])
        peaks[event_id] = max(_in_hour(times, item.published_at) for item in items)
    return peaks


def _in_hour(times: Sequence[datetime], end: datetime) -> int:
    return bisect_right(times, end) - bisect_left(times, end - HOUR)


def _update(event: SentimentEvent, pairs: Iterable[tuple[Member, Analysis]], peak: int,
            policy: SentimentPolicy) -> None:
    for item, a in pairs:
        event.item_count += 1
        event.reposts += item.reposts
        event.comments += item.comments
        event.likes += item.likes
        event.first_seen = min(event.first_seen, item.published_at)
        event.last_seen = max(event.last_seen, item.published_at)
        if a.relevant or a.relevant is None:  # None: no model to judge; the desk shows it
            event.relevant = True
        if a.risk in RISKS and (event.item_risk not in RISKS or RISKS.index(a.risk) > RISKS.index(event.item_risk)):
            event.item_risk = a.risk
        labels = {"category": a.category if a.relevant else None, "polarity": a.polarity,
                  "prefecture": a.prefecture, "county": a.county}
        for name, value in labels.items():
            if getattr(event, name) is None and value is not None:
                setattr(event, name, value)
        if item.title and not event.headline:
            event.title, event.headline = _title(item), True  # a headline names the story better than a post
    event.peak_per_hour = max(event.peak_per_hour or 0, peak)
    event.risk, event.risk_reasons = policy.event_risk(
        event.item_risk, relevant=event.relevant, items=event.item_count, reposts=event.reposts,
        peak_per_hour=event.peak_per_hour)
