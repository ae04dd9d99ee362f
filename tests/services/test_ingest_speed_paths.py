"""Fast paths of sentiment ingest give the slow paths' results: the fingerprint cache read for all of an
item's candidates at once equals reading it one candidate at a time, and grouping with a cold cache
(every candidate's fingerprint loaded from the database) puts items into the same events as grouping with
a warm one."""

import importlib.util
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from classifier.stories import fingerprint
from hotline.sentiment import grouping
from hotline.sentiment.grouping import FingerprintCache
from hotline.sentiment.models import SentimentItem
from hotline.sentiment.pipeline import ingest_batch

_SPEC = importlib.util.spec_from_file_location(
    "synthetic_sentiment", Path(__file__).resolve().parents[2] / "bench" / "synthetic_sentiment.py")
synthetic = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(synthetic)

START = datetime.fromisoformat("2026-06-01T00:00:00+08:00")


def test_get_many_equals_get_one_at_a_time_and_keeps_the_recency_order():
    fps = [fingerprint(f"第{i}条：某县一名学生放学路上落水，路人施救。") for i in range(4)]
    one, many = FingerprintCache(size=3), FingerprintCache(size=3)
    for cache in (one, many):
        for i, fp in enumerate(fps[:3]):
            cache.put((i, 0), fp)
    keys = [(2, 0), (9, 9), (0, 0), (0, 0)]
    assert many.get_many(keys) == [one.get(key) for key in keys] == [fps[2], None, fps[0], fps[0]]
    for cache in (one, many):  # (1, 0) was used least recently in both: the one evicted
        cache.put((3, 0), fps[3])
    assert many.get_many([(1, 0), (2, 0), (0, 0), (3, 0)]) == [None, fps[2], fps[0], fps[3]]
    assert [one.get(key) for key in [(1, 0), (2, 0), (0, 0), (3, 0)]] == [None, fps[2], fps[0], fps[3]]


def _ingest(state, start: datetime, prefix: str, *, cold: bool, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:  # noqa: ANN001
    """300 synthetic items from START in batches of 100; returns the events as lists of stream positions."""
    data = list(synthetic.items(300, start=start, days=2))
    for n, item in enumerate(data):
        item["external_id"] = f"{prefix}-{n}"
    for at in range(0, len(data), 100):
        if cold:  # every fingerprint a stored item's candidates need comes from the database
            monkeypatch.setattr(grouping, "FINGERPRINTS", FingerprintCache())
        ingest_batch(state, data[at:at + 100])
    with state.db.transaction(readonly=True) as session:
        rows = session.execute(select(SentimentItem.external_id, SentimentItem.event_id)
                               .where(SentimentItem.external_id.like(f"{prefix}-%")))
        by_event: dict[int, list[int]] = defaultdict(list)
        for external_id, event_id in rows:
            by_event[event_id].append(int(external_id.split("-")[1]))
    return sorted(sorted(members) for members in by_event.values())


def test_grouping_with_a_cold_cache_equals_grouping_with_a_warm_one(state, monkeypatch):
    warm = _ingest(state, START, "warm", cold=False, monkeypatch=monkeypatch)
    # the same stream again 100 days later (far outside every lookup window), the cache emptied per batch
    cold = _ingest(state, START + timedelta(days=100), "cold", cold=True, monkeypatch=monkeypatch)
    assert cold == warm
    assert len(warm) < 300 and any(len(members) > 3 for members in warm)  # items were grouped at all
