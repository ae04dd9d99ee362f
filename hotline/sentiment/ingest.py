"""Taking sentiment items in (API batches, file import, feeds): each item validated on its own, stored once
per external id and once per URL (also under concurrent posts: the unique keys decide), then grouped —
inline, or by a worker when a broker is configured. One bad item never rejects its batch."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hotline.db import serialize
from hotline.errors import InputError
from hotline.inputs import DateTime, Group, Integer, Spec, Text
from hotline.sentiment.models import SentimentItem
from hotline.timeutil import utcnow

MAX_BATCH = 1000
MAX_TEXT = 10_000
_COUNT = {"minimum": 0, "maximum": 2_000_000_000}
ITEM_SPEC = Spec([
    Text(name="external_id", label="外部编号", max_length=128, help="来源系统的编号；同一编号只存一次"),
    Text(name="source", label="来源", required=True, max_length=32, pattern=r"[\w.\-\u4e00-\u9fff]+",
         help="如 weibo、wechat、douyin、news、forum"),
    Text(name="url", label="链接", max_length=1000, pattern=r"https?://\S+", help="同一链接只存一次"),
    Text(name="title", label="标题", max_length=300),
    Text(name="text", label="正文", required=True, multiline=True, max_length=MAX_TEXT),
    DateTime(name="published_at", label="发布时间", help="缺省为收到的时间；不带时区按北京时间"),
    Text(name="author", label="作者", max_length=100),
    Group(name="metrics", label="传播数据", spec=Spec([
        Integer(name="reposts", label="转发数", **_COUNT),
        Integer(name="comments", label="评论数", **_COUNT),
        Integer(name="likes", label="点赞数", **_COUNT),
    ])),
])
_TRACKING = ("utm_", "spm", "from", "share", "isappinstalled", "wfr")


@dataclass(frozen=True)
class NewItem:
    """A valid item, as ``ITEM_SPEC`` parsed it."""

    source: str
    text: str = field(repr=False)
    published_at: datetime
    external_id: str | None = None
    url: str | None = None
    title: str | None = field(default=None, repr=False)
    author: str | None = field(default=None, repr=False)
    reposts: int = 0
    comments: int = 0
    likes: int = 0

    @classmethod
    def from_input(cls, values: dict[str, Any], received_at: datetime) -> NewItem:
        metrics = values.get("metrics") or {}
        return cls(source=values["source"], text=values["text"], published_at=values["published_at"] or received_at,
                   external_id=values["external_id"], url=values["url"], title=values["title"],
                   author=values["author"], reposts=metrics.get("reposts") or 0,
                   comments=metrics.get("comments") or 0, likes=metrics.get("likes") or 0)

    @property
    def url_key(self) -> str | None:
        return url_key(self.url) if self.url else None


@dataclass(frozen=True)
class Outcome:
    """What became of one item of a batch: ``accepted``, ``duplicate`` (of ``item_id``) or ``rejected``."""

    index: int
    status: str
    item_id: int | None = None
    code: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.item_id is not None:
            out["id" if self.status == "accepted" else "duplicate_of"] = self.item_id
        if self.code:
            out.update(code=self.code, reason=self.reason)
        return out


def url_key(url: str) -> str:
    """The same page whatever the share link adds: lower-case scheme and host, no fragment, no tracking
    parameters, no trailing slash; hashed."""
    parts = urlsplit(url.strip())
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not k.lower().startswith(_TRACKING)))
    normal = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", query, ""))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def check_batch(raw: Any) -> list[Any]:
    """The batch as a list of 1..1000 elements (each element is then checked on its own)."""
    if not isinstance(raw, list):
        raise InputError("请求体必须是条目的 JSON 数组", code="wrong_type")
    if not raw:
        raise InputError("批次中没有条目", code="empty_batch")
    if len(raw) > MAX_BATCH:
        raise InputError(f"每批最多 {MAX_BATCH} 条，本批 {len(raw)} 条", code="batch_too_large")
    return raw


def parse_one(index: int, element: Any, received_at: datetime) -> NewItem | Outcome:
    try:
        return NewItem.from_input(ITEM_SPEC.parse(element, source="json"), received_at)
    except InputError as exc:
        return Outcome(index, "rejected", code=exc.code, reason=exc.message)


#: the lock ``store`` holds: concurrent batches repeating each other's items in another order would
#: otherwise deadlock on the unique indexes (PostgreSQL)
STORE_LOCK = 72_400_002


def _known(session: Session, items: Sequence[NewItem]) -> tuple[dict[str, int], dict[str, int]]:
    """Item ids already stored under the batch's external ids and URL keys (two queries per batch)."""
    found: list[dict[str, int]] = []
    for column, values in ((SentimentItem.external_id, {i.external_id for i in items if i.external_id}),
                           (SentimentItem.url_key, {i.url_key for i in items if i.url_key})):
        rows = session.execute(select(column, SentimentItem.id).where(column.in_(values))).all() if values else []
        found.append(dict(rows))
    return found[0], found[1]


@dataclass(frozen=True)
class Stored:
    """An item just stored: its id and what grouping needs of it."""

    id: int
    index: int  # its place in the batch
    text: str = field(repr=False)
    title: str | None = field(repr=False)
    author: str | None = field(repr=False)
    published_at: datetime
    reposts: int
    comments: int
    likes: int


def store(session: Session, items: Sequence[NewItem | Outcome], *, feed_id: int | None = None,
          now: datetime | None = None) -> tuple[list[Outcome], list[Stored]]:
    """Store the valid items that are new (never one twice: the same external id or URL key is a duplicate,
    also within the batch and under concurrent batches); returns the outcome of every element and the
    stored items. One INSERT for the batch; never commits."""
    now = now or utcnow()
    serialize(session, STORE_LOCK)
    by_id, by_url = _known(session, [i for i in items if isinstance(i, NewItem)])
    results: list[Outcome | None] = [None] * len(items)
    new: list[tuple[int, NewItem]] = []
    repeats: list[tuple[int, int]] = []  # (index, index of the earlier item of this batch it repeats)
    for index, item in enumerate(items):
        if isinstance(item, Outcome):
            results[index] = item
            continue
        found = by_id.get(item.external_id or "") or by_url.get(item.url_key or "")
        if found is not None:
            if found < 0:  # an earlier item of this batch, by its index (negated, so never an id)
                repeats.append((index, -found - 1))
            else:
                results[index] = Outcome(index, "duplicate", found)
            continue
        new.append((index, item))
        for known, key in ((by_id, item.external_id), (by_url, item.url_key)):
            if key:
                known[key] = -index - 1
    ids: dict[int, int] = {}
    if new:
        rows = [{"external_id": it.external_id, "url": it.url, "url_key": it.url_key, "source": it.source,
                 "title": it.title, "text": it.text, "author": it.author, "published_at": it.published_at,
                 "received_at": now, "reposts": it.reposts, "comments": it.comments, "likes": it.likes,
                 "feed_id": feed_id, "state": "pending"} for _, it in new]
        stmt = insert(SentimentItem).returning(SentimentItem.id, sort_by_parameter_order=True)
        ids = {index: item_id for (index, _), item_id in zip(new, session.scalars(stmt, rows), strict=True)}
    for index, _ in new:
        results[index] = Outcome(index, "accepted", ids[index])
    for index, first in repeats:
        results[index] = Outcome(index, "duplicate", ids[first])
    stored = [Stored(ids[index], index, it.text, it.title, it.author, it.published_at, it.reposts, it.comments,
                     it.likes)
              for index, it in new]
    return [r for r in results if r is not None], stored
