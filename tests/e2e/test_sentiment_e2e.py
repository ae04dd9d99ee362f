"""The sentiment desk end to end in Chromium: items posted by a crawler become an event on the desk; the
dispatcher turns it into a verification lead for the county; the county signs and reports; the province
closes it."""

import re
from datetime import timedelta

import pytest
import requests
from e2e_support import act, shot

from hotline.timeutil import utcnow

pytestmark = pytest.mark.e2e
UNIT = "civil_affairs:白山市/抚松县"
STORY = ("抚松县露水河镇一名9岁女孩父母常年在外打工，跟着70多岁的奶奶生活，奶奶上周摔伤住院，孩子这几天一个人在家，"
         "邻居说晚上经常听到孩子哭，天都黑了家里也不开灯。希望有关部门能管管！")


def post_story(live) -> None:
    now = utcnow()
    body = [
        {"external_id": "wb-88", "source": "weibo", "url": "https://weibo.example/88", "text": STORY,
         "published_at": (now - timedelta(hours=2)).isoformat(), "metrics": {"reposts": 320, "comments": 85}},
        {"external_id": "wb-89", "source": "weibo", "text": "心疼😭 转发扩散 //@抚松身边事:" + STORY,
         "published_at": (now - timedelta(hours=1)).isoformat()},
        {"external_id": "news-3", "source": "news", "title": "抚松一留守女童独自在家多日 奶奶摔伤住院",
         "url": "https://news.example/3",
         "text": "记者了解到，抚松县露水河镇一名9岁留守女孩的奶奶近日摔伤住院，孩子父母在外地务工，女孩已独自在家生活数日。"
                 "当地村委会表示将尽快核实情况。", "published_at": now.isoformat()},
    ]
    token = live.make_token("dispatcher")
    resp = requests.post(f"{live.url}/api/v1/sentiment/items", json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=60)
    assert resp.status_code == 200 and resp.json()["accepted"] == 3


def test_event_becomes_a_lead_reported_by_the_county_and_closed(open_as, live):
    post_story(live)
    desk = open_as("dispatcher")
    desk.click("nav >> text=舆情")
    desk.wait_for_url(re.compile(r"/console/sentiment"))
    row = desk.locator("tr", has_text="抚松")
    assert "3" in row.inner_text()
    shot(desk, "20-sentiment-desk")
    row.locator("a").first.click()
    assert "抚松一留守女童独自在家多日" in desk.inner_text("h1")  # the headline names the event
    assert desk.locator("text=原文链接").count() == 2
    desk.fill("#l-instructions", "请于24小时内入户核实孩子照护情况")
    shot(desk, "21-sentiment-event")
    desk.click("#open-lead button[type=submit]")
    desk.wait_for_url(re.compile(r"/console/leads/XS-\d{8}-\d{5}"))
    number = desk.url.rsplit("/", 1)[1]
    assert "白山市抚松县民政局" in desk.inner_text("main")

    county = open_as("agency_staff", UNIT)
    county.goto(f"{county.base}/console/inbox")
    assert number in county.inner_text("#inbox-leads")
    shot(county, "22-agency-inbox-lead")
    county.click(f"text={number}")
    act(county, "签收")
    act(county, "报告核查结果", {"select[name=verdict]": "true",
                            "textarea[name=actions_taken]": "已入户核实，属实；已联系孩子父亲返乡，落实委托照护人，儿童主任每周走访"})
    assert "已报告" in county.inner_text("main")
    shot(county, "23-lead-reported")

    desk.goto(f"{desk.base}/console/leads/{number}")
    act(desk, "审核办结", {"textarea[name=note]": "处置得当，同意办结"})
    main = desk.inner_text("main")
    assert "已办结" in main and "属实" in main
    timeline = desk.inner_text(".timeline")
    for step in ("下发核查线索", "签收", "报告核查结果", "审核办结"):
        assert step in timeline
    shot(desk, "24-lead-closed")
