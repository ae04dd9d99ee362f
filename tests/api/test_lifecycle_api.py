"""Every lifecycle action through /api/v1: events, deadlines, refusals that change nothing, roles."""

import pytest

UNIT = "civil_affairs:长春市/农安县"
LABELS = {"category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县"}
CALL = {"channel": "phone", "text": "来电人反映邻居家孩子父母外出务工，孩子常常一个人在家。"}


@pytest.fixture
def desk(api_as):
    return api_as("operator")


@pytest.fixture
def dispatcher(api_as):
    return api_as("dispatcher")


@pytest.fixture
def unit(api_as):
    return api_as("agency_staff", UNIT)


def new_ticket(api, **labels):
    number = api.post("/tickets", json=CALL).get_json()["number"]
    if labels:
        assert api.act(number, "triage", **labels).status_code == 200
    return number


def dispatched(desk, **extra):
    number = new_ticket(desk, **LABELS)
    resp = desk.act(number, "dispatch", **extra)
    assert resp.status_code == 200, resp.get_json()
    return number, resp.get_json()


def test_dispatch_routes_to_the_county_unit_with_deadlines(desk):
    _, body = dispatched(desk)
    assert body["status"] == "dispatched"
    assert body["lead_unit"] == {"code": UNIT, "name": "长春市农安县民政局"}
    assert [u["code"] for u in body["co_units"]] == ["public_security:长春市/农安县"]
    assert all(body["deadlines"][k] for k in ("sign", "first_feedback", "resolve", "return"))
    assert body["events"][-1]["data"]["deadlines"]["sign"] == body["deadlines"]["sign"]


def test_emergency_always_adds_public_security(desk):
    number = new_ticket(desk, category="basic_living", kind="help", urgency="emergency", prefecture="吉林市")
    body = desk.act(number, "dispatch", police_notified_at="2026-12-03T10:00:00+08:00").get_json()
    assert body["lead_unit"]["code"] == "civil_affairs:吉林市"
    assert {u["code"] for u in body["co_units"]} == {"finance:吉林市", "public_security:吉林市"}


def test_an_emergency_is_never_dispatched_before_the_police_are_told(desk):
    number = new_ticket(desk, **{**LABELS, "urgency": "emergency"})
    before = desk.get(f"/tickets/{number}").get_json()
    refused = desk.act(number, "dispatch")
    assert refused.status_code == 422 and refused.get_json()["code"] == "police_not_notified"
    future = desk.act(number, "dispatch", police_notified_at="2099-01-01T08:00:00+08:00")
    assert future.status_code == 422 and future.get_json()["code"] == "bad_datetime"
    assert desk.get(f"/tickets/{number}").get_json() == before  # nothing changed
    body = desk.act(number, "dispatch", police_notified_at="2026-12-03T10:00:00+08:00",
                    police_note="农安县公安局指挥中心").get_json()
    assert body["status"] == "dispatched" and body["police_notified_at"] == "2026-12-03T10:00:00+08:00"
    assert [e["action"] for e in body["events"]][-2:] == ["notify_police", "dispatch"]
    assert body["events"][-2]["note"] == "农安县公安局指挥中心"


def test_a_recorded_notification_lets_the_emergency_go(desk):
    number = new_ticket(desk, **{**LABELS, "urgency": "emergency"})
    assert desk.act(number, "notify_police", note="已电话通知 110").status_code == 200
    assert desk.act(number, "notify_police").get_json()["code"] == "police_already_notified"
    assert desk.act(number, "dispatch").get_json()["status"] == "dispatched"


def test_a_label_change_to_emergency_inside_the_dispatch_needs_the_police_too(desk):
    number = new_ticket(desk, **LABELS)
    refused = desk.act(number, "dispatch", urgency="emergency")
    assert refused.status_code == 422 and refused.get_json()["code"] == "police_not_notified"
    assert desk.get(f"/tickets/{number}").get_json()["urgency"] == "urgent"


def test_full_loop_sign_progress_resolve_callback(desk, unit):
    number, _ = dispatched(desk)
    assert unit.act(number, "sign").get_json()["status"] == "accepted"
    body = unit.act(number, "progress", note="已入户核实").get_json()
    assert body["status"] == "in_progress"
    body = unit.act(number, "resolve", result="已落实委托照护人").get_json()
    assert body["status"] == "resolved" and body["deadlines"]["callback"]
    body = desk.act(number, "callback", satisfaction="satisfied").get_json()
    assert body["status"] == "closed" and body["satisfaction"] == "satisfied"
    actions = [(e["action"], e["from"], e["to"]) for e in body["events"]]
    assert actions == [
        ("create", None, "received"),
        ("triage", "received", "triaged"),
        ("dispatch", "triaged", "dispatched"),
        ("sign", "dispatched", "accepted"),
        ("progress", "accepted", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("callback", "resolved", "closed"),
    ]


def test_unsatisfied_callback_reopens_to_the_same_unit(desk, unit):
    number, _ = dispatched(desk)
    unit.act(number, "sign")
    unit.act(number, "resolve", result="已处理")
    body = desk.act(number, "callback", satisfaction="unsatisfied", note="家属称仍无人照看").get_json()
    assert body["status"] == "reopened"
    body = desk.act(number, "dispatch").get_json()
    assert body["status"] == "dispatched" and body["lead_unit"]["code"] == UNIT


def test_return_needs_a_reason_and_goes_back_to_the_dispatcher(desk, dispatcher, unit):
    number, _ = dispatched(desk)
    resp = unit.act(number, "return")
    assert resp.status_code == 422 and resp.get_json()["code"] == "missing_field"
    assert unit.act(number, "return", reason="非本单位职责，应由教育部门办理").get_json()["status"] == "returned"
    assert desk.act(number, "dispatch", unit="education:长春市/农安县").status_code == 403  # operators cannot
    resp = dispatcher.act(number, "dispatch")
    assert resp.status_code == 422 and resp.get_json()["details"]["field"] == "unit"
    body = dispatcher.act(number, "dispatch", unit="education:长春市/农安县").get_json()
    assert body["status"] == "dispatched" and body["lead_unit"]["code"] == "education:长春市/农安县"


def test_direct_answer_closes_unless_a_callback_is_wanted(desk):
    number = new_ticket(desk)  # untriaged: labels come with the answer
    body = desk.act(number, "answer", answer="已告知申请流程", **LABELS).get_json()
    assert body["status"] == "closed"
    assert [e["action"] for e in body["events"]] == ["create", "triage", "answer", "close"]
    other = new_ticket(desk, **LABELS)
    body = desk.act(other, "answer", answer="已告知", callback_wanted=True).get_json()
    assert body["status"] == "answered"
    assert desk.act(other, "callback").get_json()["status"] == "closed"


def test_extension_once_approved_moves_the_resolve_deadline(desk, dispatcher, unit):
    number, body = dispatched(desk)
    before = body["deadlines"]["resolve"]
    unit.act(number, "sign")
    assert unit.act(number, "request_extension", days=9, reason="x").status_code == 422
    assert (
        unit.act(number, "request_extension", days=3, reason="需协调学校").get_json()["extension"]["state"]
        == "requested"
    )
    resp = unit.act(number, "request_extension", days=2, reason="再延")
    assert resp.status_code == 409 and resp.get_json()["code"] == "extension_used"
    assert unit.act(number, "approve_extension").status_code == 403
    body = dispatcher.act(number, "approve_extension", note="同意").get_json()
    assert body["extension"] == {"state": "approved", "days": 3}
    assert body["deadlines"]["resolve"] > before
    assert dispatcher.act(number, "refuse_extension", reason="x").status_code == 409


def test_refused_extension(desk, dispatcher, unit):
    number, body = dispatched(desk)
    unit.act(number, "sign")
    unit.act(number, "request_extension", days=2, reason="材料未齐")
    assert dispatcher.act(number, "refuse_extension").status_code == 422  # a refusal needs a reason
    body = dispatcher.act(number, "refuse_extension", reason="时限内可办结").get_json()
    assert body["extension"]["state"] == "refused"


def test_supervise_and_merge_are_flags(desk, dispatcher, api_as):
    number, _ = dispatched(desk)
    body = api_as("supervisor").act(number, "supervise", note="请加快办理").get_json()
    assert body["status"] == "dispatched" and body["supervision_count"] == 1
    dispatcher.act(number, "supervise", note="再次督办")
    duplicate = new_ticket(desk)
    body = desk.act(duplicate, "merge", into=number).get_json()
    assert body["merged_into"] == number and body["status"] == "received"
    assert desk.act(number, "merge", into=number).status_code == 422


def test_triage_rejects_unknown_codes_and_places(desk):
    number = new_ticket(desk)
    for bad in (
        {"category": "weather"},
        {"kind": "rant"},
        {"prefecture": "沈阳市"},
        {"county": "朝阳区", "prefecture": "吉林市"},
    ):
        resp = desk.act(number, "triage", **{**LABELS, **bad})
        assert resp.status_code == 422
    assert desk.get(f"/tickets/{number}").get_json()["status"] == "received"
    body = desk.act(number, "triage", **{**LABELS, "prefecture": None, "county": "朝阳区"}).get_json()
    assert (body["prefecture"], body["county"]) == ("长春市", "朝阳区")  # a county implies its prefecture


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("sign", {}),
        ("resolve", {"result": "x"}),
        ("callback", {"satisfaction": "satisfied"}),
        ("answer", {"answer": "x"}),
    ],
)
def test_illegal_actions_are_refused_and_change_nothing(desk, unit, action, payload):
    number, before = dispatched(desk)
    unit.act(number, "sign")
    before = desk.get(f"/tickets/{number}").get_json()
    actor = unit if action in ("sign", "resolve") else desk
    if action == "resolve":
        unit.act(number, "resolve", result="done")
        before = desk.get(f"/tickets/{number}").get_json()
    resp = actor.act(number, action, **payload)
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "invalid_transition"
    assert "不能执行" in resp.get_json()["message"]
    assert desk.get(f"/tickets/{number}").get_json() == before


def test_stale_version_is_a_conflict(desk, unit):
    number, body = dispatched(desk)
    resp = unit.act(number, "sign", version=body["version"] - 1)
    assert resp.status_code == 409 and resp.get_json()["code"] == "stale_version"
    assert unit.act(number, "sign", version=body["version"]).status_code == 200


def test_unknown_action_and_ticket(desk):
    number = new_ticket(desk)
    assert desk.act(number, "teleport").status_code == 404
    assert desk.act("12345-20200101-99999", "triage", **LABELS).status_code == 404


def test_agency_isolation(desk, unit, api_as):
    mine, _ = dispatched(desk)
    other = new_ticket(desk, **{**LABELS, "county": "榆树市"})
    desk.act(other, "dispatch")
    elsewhere = api_as("agency_staff", "civil_affairs:长春市/榆树市")
    # another unit's ticket: 404, the same as a ticket that does not exist, and no data in the body
    resp = elsewhere.get(f"/tickets/{mine}")
    assert resp.status_code == 404 and "农安" not in resp.get_data(as_text=True)
    assert elsewhere.act(mine, "sign").status_code == 404
    listed = unit.get("/tickets").get_json()
    assert [t["number"] for t in listed["items"]] == [mine] and listed["total"] == 1
    assert desk.get("/tickets").get_json()["total"] == 2


def test_co_unit_sees_but_cannot_act_as_lead(desk, api_as):
    number, _ = dispatched(desk)
    police = api_as("agency_staff", "public_security:长春市/农安县")
    assert police.get(f"/tickets/{number}").status_code == 200
    resp = police.act(number, "sign")
    assert resp.status_code == 403 and resp.get_json()["code"] == "not_lead_unit"


def test_roles_are_enforced(desk, unit, api_as):
    number, _ = dispatched(desk)
    assert desk.act(number, "sign").status_code == 403
    assert api_as("supervisor").act(number, "sign").status_code == 403
    assert unit.act(number, "supervise", note="x").status_code == 403


def test_list_filters_pagination_and_masking(desk):
    for _ in range(3):
        new_ticket(desk)
    dispatched(desk)
    page = desk.get("/tickets", per_page=2, page=1).get_json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert desk.get("/tickets", status="dispatched").get_json()["total"] == 1
    assert desk.get("/tickets", unit=UNIT).get_json()["total"] == 1
    assert desk.get("/tickets", category="guardianship", urgency="urgent").get_json()["total"] == 1
    assert desk.get("/tickets", overdue="true").get_json()["total"] == 0
    for bad in ({"status": "lost"}, {"page": "0"}, {"per_page": "1000"}, {"overdue": "maybe"}, {"unit": "x:y"}):
        assert desk.get("/tickets", **bad).status_code == 422


def test_lists_mask_personal_data(desk):
    desk.post(
        "/tickets",
        json={**CALL, "caller": {"name": "王小红", "phone": "13812341234"}, "address": "农安县某镇幸福村3组5号"},
    )
    item = desk.get("/tickets").get_json()["items"][0]
    assert item["caller"] == {"name": "王**", "phone": "138****1234"}
    assert item["address"] == "农安县某镇幸福村***"


def test_co_units_add_their_input_and_only_they(desk, unit, api_as):
    number, _ = dispatched(desk)
    police = api_as("agency_staff", "public_security:长春市/农安县")
    body = police.act(number, "co_input", note="已安排民警走访").get_json()
    assert body["status"] == "dispatched" and body["events"][-1]["data"]["unit"] == "public_security:长春市/农安县"
    assert unit.act(number, "co_input", note="x").status_code == 403  # the lead unit reports progress instead


def test_queue_filter_for_extension_requests(desk, dispatcher, unit):
    number, _ = dispatched(desk)
    unit.act(number, "sign")
    unit.act(number, "request_extension", days=2, reason="等待材料")
    listed = dispatcher.get("/tickets", extension_requested="true").get_json()
    assert [t["number"] for t in listed["items"]] == [number]
