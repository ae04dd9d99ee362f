"""Public-sentiment items (舆情), the events they are grouped into, the index that groups them, the feeds
that bring them, and verification leads (核查线索) with their timelines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.directory.models import AgencyUnit
from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow


class SentimentEvent(Base):
    """One real-world story: its items (posts, reposts, rewrites) and what they add up to."""

    __tablename__ = "sentiment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: the title is a headline (a news item's), not the first words of a post
    headline: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    #: sums over the event's items (转发, 评论, 点赞): how far it spread
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    #: the most items it gained within one hour (its speed)
    peak_per_hour: Mapped[int] = mapped_column(Integer, default=0)
    #: the highest risk the classifier gave one of its items
    item_risk: Mapped[str | None] = mapped_column(String(8))
    #: ``item_risk`` raised by count, spread and speed (``SentimentPolicy.event_risk``)
    risk: Mapped[str] = mapped_column(String(8), index=True, default="low")
    #: why the risk is what it is (shown on the desk)
    risk_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    category: Mapped[str | None] = mapped_column(String(32))
    polarity: Mapped[str | None] = mapped_column(String(16))
    prefecture: Mapped[str | None] = mapped_column(String(32), index=True)
    county: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: never loaded whole (a viral event has thousands): ``desk.event_items`` reads a page
    items: Mapped[list[SentimentItem]] = relationship(back_populates="event", lazy="raise")
    leads: Mapped[list[Lead]] = relationship(back_populates="event", order_by="Lead.id")


class SentimentItem(Base):
    """A post, repost or article as it arrived, with what the classifier and the grouping made of it."""

    __tablename__ = "sentiment_items"
    __table_args__ = (Index("ix_sentiment_items_event_published", "event_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the source system's id; an item is stored once per external id and once per URL
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    url_key: Mapped[str | None] = mapped_column(String(64), unique=True)  #: sha256 of the normalised URL
    url: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("sentiment_feeds.id", ondelete="SET NULL"))
    #: "pending" (stored, not yet processed) | "processed"
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(32))
    polarity: Mapped[str | None] = mapped_column(String(16))
    risk: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float)
    prefecture: Mapped[str | None] = mapped_column(String(32))
    county: Mapped[str | None] = mapped_column(String(32))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("sentiment_events.id"))

    event: Mapped[SentimentEvent | None] = relationship(back_populates="items")


class StoryKey(Base):
    """The grouping index (``classifier.stories.KeyIndex`` stored): which event holds which key (MinHash
    band, story key) through which item, so that a new item finds the items it may repeat without
    comparing against the whole store. A key is stored once per event, not once per item."""

    __tablename__ = "sentiment_story_keys"
    __table_args__ = (Index("ix_sentiment_story_keys_key_published", "key", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    item_id: Mapped[int] = mapped_column(ForeignKey("sentiment_items.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("sentiment_events.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: a checksum of what the item's fingerprint is computed from: a cached fingerprint is reused only
    #: for the same content
    stamp: Mapped[int] = mapped_column(Integer)


class Feed(Base):
    """An RSS/Atom or JSON feed polled for items (an admin registers it)."""

    __tablename__ = "sentiment_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    #: the ``source`` its items get (weibo, news …)
    source: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "ok" | "not_modified" | "error" | None (never polled)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_new_items: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  #: consecutive failed polls
    #: the scheduler polls the feed this often
    interval_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lead(Base):
    """A verification lead (核查线索): an event handed to a unit to verify what happened and act."""

    __tablename__ = "sentiment_leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: readable number such as XS-20261204-00007 (day in Asia/Shanghai)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("sentiment_events.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    risk: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int] = mapped_column(ForeignKey("agency_units.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: 核查时限: the unit's report is due by then (high risk 24 h, medium 48 h)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: "manual" or "auto" (opened by the system for a high-risk event)
    opened_by: Mapped[str] = mapped_column(String(96))
    instructions: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 属实 / 部分属实 / 不属实
    verdict: Mapped[str | None] = mapped_column(String(16))
    actions_taken: Mapped[str | None] = mapped_column(Text)
    public_response_needed: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    #: the deadline sweep's state, as on tickets (next moment to look, what was done, 督办 one level up)
    alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    alerts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    escalated_unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}

    event: Mapped[SentimentEvent] = relationship(back_populates="leads")
    unit: Mapped[AgencyUnit] = relationship(lazy="joined", foreign_keys=[unit_id])
    escalated_unit: Mapped[AgencyUnit | None] = relationship(foreign_keys=[escalated_unit_id])
    events: Mapped[list[LeadEvent]] = relationship(back_populates="lead", order_by="LeadEvent.id",
                                                   cascade="all, delete-orphan")


class LeadEvent(Base):
    """One row of a lead's timeline."""

    __tablename__ = "sentiment_lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("sentiment_leads.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(96))
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    lead: Mapped[Lead] = relationship(back_populates="events")


class LeadCounter(Base):
    """Last lead number handed out per day (Asia/Shanghai)."""

    __tablename__ = "sentiment_lead_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD
    last: Mapped[int] = mapped_column(Integer)
