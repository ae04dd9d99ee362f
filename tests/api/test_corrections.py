"""Operators' changes to predicted labels are stored as corrections for retraining."""

from sqlalchemy import select

from hotline.tickets.models import LabelCorrection
from hotline.tickets.triage import TriageSuggestion

CALL = {"channel": "phone", "text": "来电人反映孩子在学校被同学打伤，班主任不管。"}


class Predicts:
    """Stands in for the classifier's output (the library has its own tests); our database is real."""

    def __init__(self, **labels):
        base = dict(category="education", kind="complaint", urgency="normal", agency="education",
                    co_agencies=(), prefecture="长春市", county="农安县", confidence=0.55, needs_review=True)
        self.suggestion = TriageSuggestion(**{**base, **labels})

    def suggest(self, text, **_options):
        return self.suggestion


def corrections(state):
    with state.db.transaction(readonly=True) as session:
        rows = session.scalars(select(LabelCorrection).order_by(LabelCorrection.id)).all()
        return [(r.field, r.predicted, r.corrected, r.source) for r in rows]


def test_triage_override_records_each_changed_label(api_as, state):
    state.triage = Predicts()
    desk = api_as("operator")
    number = desk.post("/tickets", json=CALL).get_json()["number"]
    body = desk.act(number, "triage", category="personal_safety", kind="complaint", urgency="urgent").get_json()
    assert body["triage"]["mode"] == "manual"
    assert corrections(state) == [
        ("category", "education", "personal_safety", "triage"),
        ("urgency", "normal", "urgent", "triage"),
    ]
    assert body["events"][-1]["data"]["corrections"] == ["category", "urgency"]


def test_confirming_the_prediction_records_nothing(api_as, state):
    state.triage = Predicts()
    desk = api_as("operator")
    number = desk.post("/tickets", json=CALL).get_json()["number"]
    desk.act(number, "triage", category="education", kind="complaint", urgency="normal")
    assert corrections(state) == []


def test_redispatch_to_another_agency_after_return_is_a_correction(api_as, state):
    state.triage = Predicts()
    desk, dispatcher = api_as("operator"), api_as("dispatcher")
    unit = api_as("agency_staff", "education:长春市/农安县")
    number = desk.post("/tickets", json=CALL).get_json()["number"]
    assert desk.act(number, "dispatch").get_json()["lead_unit"]["code"] == "education:长春市/农安县"
    unit.act(number, "return", reason="涉及人身伤害，应由公安机关办理")
    dispatcher.act(number, "dispatch", unit="public_security:长春市/农安县")
    assert corrections(state) == [("agency", "education", "public_security", "redispatch")]


def test_tickets_without_a_prediction_record_no_corrections(api_as, state):
    desk = api_as("operator")
    number = desk.post("/tickets", json=CALL).get_json()["number"]
    desk.act(number, "triage", category="personal_safety", kind="complaint", urgency="urgent")
    assert corrections(state) == []
