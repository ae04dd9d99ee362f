"""Events: risk rising with item count, spread and speed; irrelevant events staying low; the automatic
lead for a high-risk event in a known county; a redelivered item changing nothing."""

import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hotline.accounts.actor import SYSTEM
from hotline.sentiment.models import Lead, SentimentEvent, SentimentItem
from hotline.sentiment.pipeline import ingest_batch, process_items
from hotline.sentiment.policy import SentimentPolicy

BASE = datetime.fromisoformat("2026-06-01T09:00:00+08:00")
TEXT = "梨树县某小学门口一名二年级学生放学后被同班同学围堵推搡，家长发视频称孩子多次被欺负，学校没有处理。"


def repost(n: int, minutes: int, reposts: int = 0) -> dict:
    return {"source": "weibo", "external_id": f"r{n}", "text": f"转发微博 //@网友{n}:" + TEXT,
            "published_at": (BASE + timedelta(minutes=minutes)).isoformat(), "metrics": {"reposts": reposts}}


def event(state) -> SentimentEvent:
    with state.db.transaction(readonly=True) as session:
        found = session.scalars(select(SentimentEvent)).one()
        session.expunge(found)
        return found


def test_event_risk_rises_with_speed_count_and_spread(state):
    ingest_batch(state, [repost(0, 0)])
    assert (event(state).risk, event(state).item_count) == ("medium", 1)  # no model: items are not judged low
    ingest_batch(state, [repost(n, 10 * n) for n in range(1, 4)])  # 4 items within an hour
    found = event(state)
    assert found.risk == "high" and found.peak_per_hour == 4 and any("一小时内" in r for r in found.risk_reasons)


def test_spread_alone_raises_risk(state):
    ingest_batch(state, [repost(0, 0, reposts=600), repost(1, 300, reposts=500)])
    found = event(state)
    assert found.reposts == 1100 and found.risk == "high" and any("转发" in r for r in found.risk_reasons)


def test_slow_trickle_stays_medium_until_it_counts(state):
    ingest_batch(state, [repost(n, 180 * n) for n in range(7)])
    assert event(state).risk == "medium"
    ingest_batch(state, [repost(7, 180 * 7)])
    assert event(state).risk == "high" and any("条目数 8" in r for r in event(state).risk_reasons)


def test_policy_rule():
    policy = SentimentPolicy()
    assert policy.event_risk("high", relevant=False, items=50, reposts=10**6, peak_per_hour=99) == ("low", [])
    assert policy.event_risk("low", relevant=True, items=8, reposts=1000, peak_per_hour=0)[0] == "high"
    assert policy.event_risk("low", relevant=True, items=1, reposts=0, peak_per_hour=4)[0] == "medium"
    assert policy.event_risk("high", relevant=True, items=1, reposts=0, peak_per_hour=0)[0] == "high"


def test_policy_file_errors_are_named(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("raise_risk: {items: many}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="sentiment policy"):
        SentimentPolicy.from_file(bad)


@pytest.fixture
def auto_open(state, monkeypatch):
    monkeypatch.setattr(state, "sentiment_policy", dataclasses.replace(state.sentiment_policy, auto_open_leads=True))


def test_high_risk_events_in_a_known_county_open_their_lead(state, auto_open):
    emergency = "伊通县营城子镇一个6岁女孩一个人在家两天了，爸妈在外地打工电话打不通，孩子现在还在家里哭，快来人！"
    ingest_batch(state, [{"source": "weibo", "external_id": "e1", "text": emergency,
                          "published_at": BASE.isoformat()}])
    with state.db.transaction(readonly=True) as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.unit.code == "civil_affairs:四平市/伊通满族自治县" and lead.opened_by == SYSTEM.label
        assert lead.due_at - lead.opened_at == timedelta(hours=24)
    # a high-risk event without a county waits for a dispatcher
    ingest_batch(state, [{"source": "weibo", "external_id": "e2", "published_at": BASE.isoformat(),
                          "text": "有个小孩一个人在河边玩水两个小时了，周围没有大人，快来人！"}])
    with state.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count(Lead.id))) == 1


def test_processing_twice_changes_nothing(state):
    ingest_batch(state, [repost(0, 0), repost(1, 5)])
    with state.db.transaction(readonly=True) as session:
        ids = list(session.scalars(select(SentimentItem.id)))
    assert process_items(state, ids) == 0  # already grouped: a redelivered message is harmless
    assert event(state).item_count == 2
