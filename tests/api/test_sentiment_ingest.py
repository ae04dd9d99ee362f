"""POST /api/v1/sentiment/items: a result per item, each item stored once (also under concurrent posts),
one bad item never rejects its batch, and reposts land in the story's event."""

import requests
from sqlalchemy import func, select
from tests_support import race

from hotline.sentiment.models import SentimentEvent, SentimentItem

POST = ("#长春寻人# 急寻！九台区营城街道一名8岁男孩今天下午放学后一直没到家，穿蓝白色校服，背黑色书包。"
        "家里人找了一下午了，有看到的朋友请联系孩子爸爸139****2217或者直接报警！求扩散")


def item(**over):
    return {"source": "weibo", "text": POST, "published_at": "2026-06-01T17:30:00+08:00", **over}


def count(state, model) -> int:
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_each_item_gets_its_result(api_as, state):
    api = api_as("dispatcher")
    body = [item(external_id="wb-1", url="https://weibo.example/p/1?utm_source=share"),
            {"source": "weibo"},  # no text
            item(external_id="wb-1"),  # the same item again in the same batch
            item(url="https://WEIBO.example/p/1/#comments", text="转发微博 //@九台生活圈:扩散！ " + POST),
            "not an object",
            item(external_id="wb-2", text="转发 🙏🙏 //@某某:" + POST[:60] + "…全文", metrics={"reposts": 12})]
    resp = api.post("/sentiment/items", json=body)
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert [r["status"] for r in out["results"]] == ["accepted", "rejected", "duplicate", "duplicate", "rejected",
                                                     "accepted"]
    assert (out["accepted"], out["duplicate"], out["rejected"]) == (2, 2, 2)
    assert out["results"][1]["code"] == "missing_field" and out["results"][4]["code"] == "wrong_type"
    assert out["results"][2]["duplicate_of"] == out["results"][0]["id"]
    assert count(state, SentimentItem) == 2
    again = api.post("/sentiment/items", json=[item(external_id="wb-2")]).get_json()
    assert again["results"][0] == {"index": 0, "status": "duplicate", "duplicate_of": out["results"][5]["id"]}


def test_reposts_of_a_story_share_its_event(api_as, state):
    api = api_as("dispatcher")
    api.post("/sentiment/items", json=[
        item(external_id="a"),
        item(external_id="b", text="转发微博 🙏🙏 //@九台生活圈:都是当爹妈的，扩散！// " + POST,
             published_at="2026-06-01T18:02:00+08:00"),
        item(external_id="c", text="#长春身边事# 今天长春降温，最低气温零下十二度，出门注意防滑。",
             published_at="2026-06-01T18:10:00+08:00"),
    ])
    with state.db.transaction(readonly=True) as session:
        events = {i.external_id: i.event_id for i in session.scalars(select(SentimentItem))}
        story = session.get(SentimentEvent, events["a"])
        assert story.item_count == 2 and story.county == "九台区"
    assert events["a"] == events["b"] != events["c"]


def test_bad_batches_are_refused_whole(api_as, client, make_token, state):
    api = api_as("dispatcher")
    assert api.post("/sentiment/items", json={"items": []}).get_json()["code"] == "wrong_type"
    assert api.post("/sentiment/items", json=[]).get_json()["code"] == "empty_batch"
    resp = api.post("/sentiment/items", json=[item()] * 1001)
    assert resp.status_code == 422 and resp.get_json()["code"] == "batch_too_large"
    assert api_as("operator").post("/sentiment/items", json=[item()]).status_code == 403
    assert api_as("agency_staff", "civil_affairs:长春市/九台区").post("/sentiment/items", json=[item()]).status_code == 403
    resp = client.post("/api/v1/sentiment/items", data="[1,", headers={
        "Authorization": f"Bearer {make_token('dispatcher')}", "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert count(state, SentimentItem) == 0


def test_concurrent_batches_store_each_item_once(live):
    """Eight crawlers post overlapping batches at once over real HTTP: every item is stored once, whoever
    wins, nothing fails, and the reposts of one story end in one event."""
    token = live.make_token("dispatcher")
    shared = [item(external_id=f"s{n}", text=f"转发 //@网友{n}:" + POST,
                   published_at=f"2026-06-01T18:{n:02d}:00+08:00") for n in range(20)]
    by_url = [item(url=f"https://weibo.example/u/{n}", text=f"转发微博//@路人{n}:" + POST,
                   published_at=f"2026-06-01T19:{n:02d}:00+08:00") for n in range(10)]

    def post(i):
        own = [item(external_id=f"own-{i}", text=f"转发//@本地{i}:" + POST, published_at="2026-06-01T20:00:00+08:00")]
        batch = (shared[i % 5:] + shared[:i % 5])[::(-1) ** i] + by_url + own
        return requests.post(f"{live.url}/api/v1/sentiment/items", json=batch,
                             headers={"Authorization": f"Bearer {token}"}, timeout=120)

    results = race(8, post)
    assert [r.status_code for r in results] == [200] * 8, [r.text[:200] for r in results if r.status_code != 200]
    accepted = sum(r.json()["accepted"] for r in results)
    assert accepted == 20 + 10 + 8
    assert all(r.json()["rejected"] == 0 for r in results)
    with live.runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count(SentimentItem.id))) == 38
        states = set(session.scalars(select(SentimentItem.state)))
        events = session.scalar(select(func.count(func.distinct(SentimentItem.event_id))))
    assert states == {"processed"} and events == 1
