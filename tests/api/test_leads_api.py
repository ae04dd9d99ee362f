"""/api/v1/leads: an agency's system works through its verification leads with the console's actions;
unit isolation, validation, optimistic locking; the OpenAPI document lists the lead actions."""

from sqlalchemy import select

from hotline.accounts.actor import SYSTEM
from hotline.sentiment.leads import open_lead
from hotline.sentiment.models import SentimentEvent
from hotline.sentiment.pipeline import ingest_batch

UNIT = "civil_affairs:长春市/农安县"
TEXT = "农安县合隆镇一名7岁女孩被继父用皮带抽打，浑身是伤，邻居听到哭喊声，孩子现在还在家里，快救救孩子！"


def opened_lead(state) -> str:
    """A story in 农安县 and its lead, opened to the county's civil-affairs bureau."""
    ingest_batch(state, [{"source": "douyin", "external_id": "dy-9", "text": TEXT}])
    with state.db.transaction() as session:
        event = session.scalars(select(SentimentEvent)).one()
        return open_lead(session, event, SYSTEM, policy=state.policy, taxonomy=state.taxonomy,
                         instructions="请核实").number


def test_unit_works_its_lead_through_the_api(state, api_as):
    number = opened_lead(state)
    county = api_as("agency_staff", UNIT)
    listed = county.get("/leads").get_json()["items"]
    assert [lead["number"] for lead in listed] == [number]
    assert listed[0]["unit"] == UNIT and listed[0]["status"] == "dispatched" and listed[0]["overdue"] is False
    body = county.get(f"/leads/{number}").get_json()
    assert body["event"]["sample"][0]["excerpt"].startswith("农安县合隆镇") and body["events"][0]["action"] == "open"

    version = county.post(f"/leads/{number}/actions/sign", json={}).get_json()["version"]
    resp = county.post(f"/leads/{number}/actions/report", json={"verdict": "属实", "actions_taken": "x"})
    assert resp.status_code == 422 and resp.get_json()["code"] == "unknown_code"
    resp = county.post(f"/leads/{number}/actions/report", json={"verdict": "true"})
    assert resp.status_code == 422
    stale = county.post(f"/leads/{number}/actions/report",
                        json={"verdict": "true", "actions_taken": "已到场", "version": version - 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale_version"
    done = county.post(f"/leads/{number}/actions/report", json={
        "verdict": "true", "actions_taken": "已到场核实，孩子已由派出所和妇联临时安置", "public_response_needed": True,
        "version": version}).get_json()
    assert done["status"] == "reported" and done["verdict"] == "true" and done["public_response_needed"] is True
    assert county.post(f"/leads/{number}/actions/close", json={}).status_code == 403  # the province closes
    assert county.post(f"/leads/{number}/actions/report", json={"verdict": "true", "actions_taken": "再报"}
                       ).status_code == 409  # already reported
    province = api_as("dispatcher")
    assert province.post(f"/leads/{number}/actions/close", json={}).get_json()["status"] == "closed"
    assert county.get("/leads").get_json()["items"] == []


def test_other_units_and_bad_requests(state, api_as):
    number = opened_lead(state)
    other = api_as("agency_staff", "civil_affairs:长春市/九台区")
    assert other.get("/leads").get_json()["items"] == []
    assert other.get(f"/leads/{number}").status_code == 404
    assert other.post(f"/leads/{number}/actions/sign", json={}).status_code == 404
    county = api_as("agency_staff", UNIT)
    assert county.post(f"/leads/{number}/actions/fly", json={}).status_code == 404
    assert county.get("/leads/XS-0-0").status_code == 404
    resp = county.client.post(f"/api/v1/leads/{number}/actions/sign", data="{", headers={
        **county.headers, "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert county.client.get("/api/v1/leads").status_code == 401


def test_openapi_lists_sentiment_and_lead_paths(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/sentiment/items", "/leads", "/leads/{number}", "/leads/{number}/actions/report"} <= set(doc["paths"])
    report = doc["paths"]["/leads/{number}/actions/report"]["post"]["requestBody"]["content"]["application/json"]
    assert report["schema"]["properties"]["verdict"]["enum"] == ["true", "partly_true", "false"]
    items = doc["paths"]["/sentiment/items"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert items["maxItems"] == 1000 and "text" in items["items"]["required"]
