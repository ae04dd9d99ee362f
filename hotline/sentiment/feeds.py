"""Feeds an admin registers (RSS / Atom, parsed with feedparser; or JSON Feed), polled with `requests`:
conditional GET (ETag / Last-Modified), timeouts, a size cap, and retries with backoff on network errors
and 5xx answers. Each feed's outcome is recorded on it; a broken, slow, huge or malformed feed is an
error on that feed and never stops the others."""

from __future__ import annotations

import calendar
import html
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import Conflict, NotFound
from hotline.inputs import Integer, Spec, Text
from hotline.sentiment.models import Feed
from hotline.sentiment.pipeline import ingest_batch
from hotline.timeutil import utcnow

if TYPE_CHECKING:
    from hotline.runtime import Runtime
    from hotline.scheduling.jobs import JobContext

log = logging.getLogger(__name__)
FEED_SPEC = Spec([
    Text(name="name", label="名称", required=True, max_length=100),
    Text(name="url", label="订阅地址", required=True, max_length=1000, pattern=r"https?://\S+"),
    Text(name="source", label="来源标记", required=True, max_length=32, pattern=r"[\w.\-\u4e00-\u9fff]+",
         help="其条目的 source，如 news、weibo"),
    Integer(name="interval_minutes", label="抓取间隔（分钟）", minimum=1, maximum=1440, help="缺省 15 分钟"),
])
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
USER_AGENT = "hotline-sentiment/1 (12345 child-welfare hotline)"  # headers are latin-1


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    #: the whole download, however slowly the server drips bytes
    total_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    retries: int = 2
    backoff: float = 1.0


@dataclass(frozen=True)
class PollResult:
    name: str
    status: str  # ok | not_modified | error
    new_items: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None

    @property
    def summary(self) -> str:
        if self.status == "error":
            return f"失败：{self.error}"
        if self.status == "not_modified":
            return "没有更新（304）"
        return f"新增 {self.new_items} 条，重复 {self.duplicates} 条，拒绝 {self.rejected} 条"


class FeedError(Exception):
    """What went wrong with one feed, in words an admin can act on."""


def register_feed(session: Session, values: dict[str, Any]) -> Feed:
    if session.scalar(select(Feed.id).where(Feed.url == values["url"])) is not None:
        raise Conflict("该订阅地址已登记", code="feed_exists")
    feed = Feed(name=values["name"], url=values["url"], source=values["source"], active=True,
                interval_minutes=values.get("interval_minutes") or 15)
    session.add(feed)
    session.flush()
    return feed


def set_active(session: Session, feed_id: int, active: bool) -> Feed:
    """Start or stop polling a feed (its history stays)."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise NotFound("订阅源不存在", code="feed_not_found")
    feed.active = active
    return feed


def _fetch(feed: Feed, limits: FetchLimits) -> requests.Response | None:
    """The feed's new content, or None when unchanged (304)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/json, */*"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    for attempt in range(limits.retries + 1):
        try:
            response = _download(feed.url, headers, limits)
        except (requests.ConnectionError, requests.Timeout) as exc:
            problem = f"网络错误：{type(exc).__name__}"
        else:
            if response.status_code == 304:
                return None
            if response.status_code < 500:
                if response.status_code >= 400:
                    raise FeedError(f"HTTP {response.status_code}")
                return response
            problem = f"HTTP {response.status_code}"
        if attempt < limits.retries:
            time.sleep(limits.backoff * 2**attempt)
    raise FeedError(f"{problem}（已重试 {limits.retries} 次）")


def _download(url: str, headers: dict[str, str], limits: FetchLimits) -> requests.Response:
    started = time.monotonic()
    response = requests.get(url, headers=headers, timeout=(limits.connect_timeout, limits.read_timeout), stream=True)
    body = bytearray()
    try:
        # read1 returns what has arrived (one socket read at most), so a server dripping bytes slower than
        # the read timeout still meets the total-time cap; iter_content would wait for a full chunk
        while chunk := response.raw.read1(64 * 1024, decode_content=True):
            body.extend(chunk)
            if len(body) > limits.max_bytes:
                raise FeedError(f"内容超过 {limits.max_bytes // 1024 // 1024} MB，已放弃")
            if time.monotonic() - started > limits.total_timeout:
                raise FeedError(f"下载超过 {limits.total_timeout:.0f} 秒，已放弃")
    finally:
        response.close()
    response._content = bytes(body)  # noqa: SLF001 - the body read under our limits
    return response


def _plain(value: str | None) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value or ""))).strip()


def _iso(struct: time.struct_time | None) -> str | None:
    return datetime.fromtimestamp(calendar.timegm(struct), UTC).isoformat() if struct else None


def parse_feed(body: bytes, content_type: str, source: str) -> list[dict[str, Any]]:
    """Items of an RSS / Atom document or a JSON Feed, as ``ingest_batch`` elements."""
    if "json" in content_type or body.lstrip()[:1] == b"{":
        try:
            document = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise FeedError(f"JSON 订阅格式错误：{exc}") from None
        entries = document.get("items") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise FeedError("JSON 订阅缺少 items 数组")
        return [{k: v for k, v in {
            "external_id": str(e.get("id") or e.get("url") or "")[:128] or None,
            "source": source,
            "url": e.get("url"),
            "title": _plain(e.get("title")) or None,
            "text": _plain(e.get("content_text") or e.get("content_html") or e.get("summary")),
            "published_at": e.get("date_published"),
            "author": ((e.get("authors") or [{}])[0] or {}).get("name") if isinstance(e.get("authors"), list) else None,
        }.items() if v not in (None, "")} for e in entries if isinstance(e, dict)]
    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"订阅格式错误：{type(parsed.bozo_exception).__name__}")
    out = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        text = _plain(content[0].get("value") if content else entry.get("summary") or entry.get("description"))
        out.append({k: v for k, v in {
            "external_id": (entry.get("id") or entry.get("link") or "")[:128] or None,
            "source": source,
            "url": entry.get("link"),
            "title": _plain(entry.get("title")) or None,
            "text": text or _plain(entry.get("title")),
            "published_at": _iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            "author": entry.get("author"),
        }.items() if v not in (None, "")})
    return out


def poll_feed(runtime: Runtime, feed_id: int, limits: FetchLimits | None = None, *,
              now: datetime | None = None) -> PollResult:
    """Fetch one feed once and take its items in; the feed row records what happened (as of ``now``)."""
    limits = limits or FetchLimits()
    with runtime.db.transaction(readonly=True) as session:
        feed = session.get(Feed, feed_id)
    try:
        response = _fetch(feed, limits)
        if response is None:
            result = PollResult(feed.name, "not_modified")
        else:
            elements = parse_feed(response.content, response.headers.get("Content-Type", ""), feed.source)
            outcomes = [o for start in range(0, len(elements), 1000)
                        for o in ingest_batch(runtime, elements[start:start + 1000], feed_id=feed.id)]
            result = PollResult(feed.name, "ok", *(sum(o.status == s for o in outcomes)
                                                   for s in ("accepted", "duplicate", "rejected")))
    except FeedError as exc:
        result, response = PollResult(feed.name, "error", error=str(exc)), None
    except Exception as exc:  # whatever a feed does, the others are still polled
        log.exception("feed %s failed", feed_id)
        result, response = PollResult(feed.name, "error", error=f"{type(exc).__name__}"), None
    with runtime.db.transaction() as session:
        row = session.get(Feed, feed_id)
        row.last_polled_at, row.last_status, row.last_error = now or utcnow(), result.status, result.error
        if result.status == "error":
            row.failures += 1
        else:
            row.failures, row.last_new_items = 0, result.new_items
        if response is not None:
            row.etag = response.headers.get("ETag") or row.etag
            row.last_modified = response.headers.get("Last-Modified") or row.last_modified
    return result


def poll_all(runtime: Runtime, limits: FetchLimits | None = None) -> list[PollResult]:
    """Every active feed, once, one after the other."""
    with runtime.db.transaction(readonly=True) as session:
        ids = list(session.scalars(select(Feed.id).where(Feed.active.is_(True)).order_by(Feed.id)))
    return [poll_feed(runtime, feed_id, limits) for feed_id in ids]


def poll_due(ctx: JobContext) -> dict[str, int]:
    """The scheduler's job: every active feed whose interval has passed since its last poll, once."""
    with ctx.runtime.db.transaction(readonly=True) as session:
        active = session.execute(select(Feed.id, Feed.last_polled_at, Feed.interval_minutes)
                                 .where(Feed.active.is_(True)).order_by(Feed.id)).all()
    due = [fid for fid, last, minutes in active if last is None or last + timedelta(minutes=minutes) <= ctx.now]
    results = [poll_feed(ctx.runtime, fid, now=ctx.now) for fid in due]
    return {"feeds_polled": len(results), "feed_errors": sum(r.status == "error" for r in results),
            "feed_items": sum(r.new_items for r in results)}


def feeds(session: Session) -> Sequence[Feed]:
    return session.scalars(select(Feed).order_by(Feed.name)).all()
