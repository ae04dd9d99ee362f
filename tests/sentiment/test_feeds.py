"""Feed polling against real HTTP servers on loopback: RSS, Atom and JSON Feed taken in; conditional GET
answered 304; a slow, dripping, huge, failing, missing or malformed feed is an error on that feed only, and
a server that fails once is retried."""

import json
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from tests_support import http_server

from hotline.cli import given, main
from hotline.sentiment.feeds import FetchLimits, poll_all, register_feed
from hotline.sentiment.models import Feed, SentimentItem

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>吉林新闻</title>
<item><title>农安县一留守儿童独自在家多日</title><link>https://news.example/a/1</link><guid>news-1</guid>
<description><![CDATA[<p>农安县某村一名9岁男孩父母外出务工，<b>独自在家</b>已有多日，村民发现后报告村委会。</p>]]></description>
<pubDate>Mon, 01 Jun 2026 08:00:00 +0800</pubDate></item>
<item><title>通化市开展儿童主任培训</title><link>https://news.example/a/2</link><guid>news-2</guid>
<description>通化市民政局组织全市儿童主任开展业务培训。</description>
<pubDate>Mon, 01 Jun 2026 09:00:00 +0800</pubDate></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>延边</title><id>urn:yb</id><updated>2026-06-01T10:00:00Z</updated>
<entry><title>延吉市一小学门口交通隐患</title><id>urn:yb:1</id><link href="https://yb.example/1"/>
<updated>2026-06-01T10:00:00Z</updated><content type="html">延吉市某小学门口早晚高峰车辆拥堵，学生过马路很危险。</content></entry>
</feed>"""
JSON_FEED = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "网帖", "items": [
    {"id": "tb-7", "url": "https://tieba.example/p/7", "content_text": "白城市洮北区有个小孩在网吧待了三天没回家，家长找不到人。",
     "date_published": "2026-06-01T11:00:00+08:00", "authors": [{"name": "网友甲"}]},
    {"id": "tb-8", "content_text": ""},  # no text: rejected, the rest taken in
]}, ensure_ascii=False)


class Handler(BaseHTTPRequestHandler):
    hits: Counter = Counter()
    conditional: list = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/rss+xml", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        Handler.hits[self.path] += 1
        if self.path == "/good.rss":
            if self.headers.get("If-None-Match") == '"v1"':
                Handler.conditional.append(self.path)
                return self._send(304)
            return self._send(200, RSS.encode(), ETag='"v1"', Last_Modified="Mon, 01 Jun 2026 01:00:00 GMT")
        if self.path == "/feed.atom":
            return self._send(200, ATOM.encode(), "application/atom+xml")
        if self.path == "/feed.json":
            return self._send(200, JSON_FEED.encode(), "application/feed+json")
        if self.path == "/flaky.rss":  # fails once, then answers
            return self._send(503) if Handler.hits[self.path] == 1 else self._send(200, RSS.replace("news-", "flaky-")
                                                                                     .replace("/a/", "/f/").encode())
        if self.path == "/down.rss":
            return self._send(500, b"oops", "text/plain")
        if self.path == "/slow.rss":  # no answer within the read timeout
            time.sleep(1.5)
            return self._send(200, RSS.encode())
        if self.path == "/drip.rss":  # answers, but a byte at a time: the total-time cap ends it
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            try:
                for byte in RSS.encode()[:100]:  # ten seconds of it
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if self.path == "/huge.rss":
            return self._send(200, b"<rss>" + b" " * (3 * 1024 * 1024) + b"</rss>")
        if self.path == "/garbage.rss":
            return self._send(200, b"\x00\x01 this is <not an< rss & feed", "application/rss+xml")
        return self._send(404, b"not found", "text/plain")


@pytest.fixture
def server():
    Handler.hits.clear()
    Handler.conditional.clear()
    with http_server(Handler) as url:
        yield url


LIMITS = FetchLimits(connect_timeout=1, read_timeout=0.5, total_timeout=1.5, max_bytes=1024 * 1024, retries=2,
                     backoff=0.05)
PATHS = ["/good.rss", "/feed.atom", "/feed.json", "/flaky.rss", "/down.rss", "/slow.rss", "/drip.rss", "/huge.rss",
         "/garbage.rss", "/missing.rss"]


def register(state, base: str) -> None:
    with state.db.transaction() as session:
        for path in PATHS:
            register_feed(session, {"name": path.strip("/"), "url": base + path, "source": "news"})


def feed_rows(state) -> dict[str, Feed]:
    with state.db.transaction(readonly=True) as session:
        rows = {f.name: f for f in session.scalars(select(Feed))}
        session.expunge_all()
        return rows


def test_each_feed_fails_alone_and_good_ones_are_taken_in(state, server):
    register(state, server)
    results = {r.name: r for r in poll_all(state, LIMITS)}
    assert {n: r.status for n, r in results.items()} == {
        "good.rss": "ok", "feed.atom": "ok", "feed.json": "ok", "flaky.rss": "ok", "down.rss": "error",
        "slow.rss": "error", "drip.rss": "error", "huge.rss": "error", "garbage.rss": "error",
        "missing.rss": "error"}
    assert (results["good.rss"].new_items, results["feed.atom"].new_items) == (2, 1)
    assert (results["feed.json"].new_items, results["feed.json"].rejected) == (1, 1)
    assert Handler.hits["/flaky.rss"] == 2 and Handler.hits["/down.rss"] == 3  # retried with backoff
    assert Handler.hits["/missing.rss"] == 1  # a 4xx is not retried
    rows = feed_rows(state)
    assert "HTTP 500" in rows["down.rss"].last_error and "已重试 2 次" in rows["down.rss"].last_error
    assert "Timeout" in rows["slow.rss"].last_error
    assert "秒" in rows["drip.rss"].last_error and "MB" in rows["huge.rss"].last_error
    assert "格式错误" in rows["garbage.rss"].last_error and "404" in rows["missing.rss"].last_error
    assert rows["good.rss"].etag == '"v1"' and rows["good.rss"].last_status == "ok"
    with state.db.transaction(readonly=True) as session:
        item = session.scalar(select(SentimentItem).where(SentimentItem.external_id == "news-1"))
        assert item.text.startswith("农安县某村一名9岁男孩") and "<b>" not in item.text
        assert item.title == "农安县一留守儿童独自在家多日" and item.county == "农安县"
        assert item.published_at.isoformat().startswith("2026-06-01T00:00")
        assert session.scalar(select(func.count(SentimentItem.id))) == 6


def test_second_poll_is_conditional_and_failures_count(state, server):
    register(state, server)
    poll_all(state, LIMITS)
    results = {r.name: r for r in poll_all(state, LIMITS)}
    assert results["good.rss"].status == "not_modified" and Handler.conditional == ["/good.rss"]
    assert results["feed.atom"].status == "ok" and results["feed.atom"].duplicates == 1  # no validators: refetched
    assert feed_rows(state)["down.rss"].failures == 2 and feed_rows(state)["good.rss"].failures == 0


def test_a_dripping_server_is_cut_off_at_the_total_time_cap(state, server):
    with state.db.transaction() as session:
        register_feed(session, {"name": "drip", "url": server + "/drip.rss", "source": "news"})
    started = time.monotonic()
    [result] = poll_all(state, LIMITS)
    assert result.status == "error" and "下载超过" in result.error
    assert time.monotonic() - started < LIMITS.total_timeout + LIMITS.read_timeout + 1  # not the full ten seconds


def test_poll_command_prints_each_feed(state, server):
    with state.db.transaction() as session:
        register_feed(session, {"name": "好源", "url": server + "/good.rss", "source": "news"})
        register_feed(session, {"name": "坏源", "url": server + "/missing.rss", "source": "news"})
    result = CliRunner().invoke(main, ["sentiment", "poll"], obj=given(state), catch_exceptions=False)
    assert result.exit_code == 0
    assert "好源：新增 2 条" in result.output and "坏源：失败：HTTP 404" in result.output


def test_the_scheduler_polls_each_feed_at_its_own_interval(state, server):
    from datetime import datetime, timedelta

    from hotline.scheduling.runner import run_due
    from hotline.timeutil import SHANGHAI

    with state.db.transaction() as session:
        register_feed(session, {"name": "good", "url": server + "/good.rss", "source": "news", "interval_minutes": 30})
        register_feed(session, {"name": "atom", "url": server + "/feed.atom", "source": "news"})  # default 15
    start = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)

    def polled(minutes: int) -> int:
        summary = run_due(state, start + timedelta(minutes=minutes), only=("feeds",))
        assert summary["jobs"] == {"feeds": "ok"}
        return summary["feeds_polled"]

    assert polled(0) == 2  # never polled: both at once
    assert polled(10) == 0
    assert polled(16) == 1  # the atom feed's 15 minutes have passed, not the 30 of the other
    assert polled(30) == 1  # now the 30-minute feed (the atom one was polled at 16: due at 31)
    assert Handler.hits["/good.rss"] == 2 and Handler.conditional == ["/good.rss"]
    assert feed_rows(state)["good"].last_polled_at == start + timedelta(minutes=30)
