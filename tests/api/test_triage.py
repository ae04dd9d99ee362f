"""Intake with the real classifier library: a trained (fixture) model, rules only, and a refused artifact."""

import json

from classifier import load_classifier
from hotline.tickets.triage import ClassifierTriage, load_triage

EMERGENCY = "来电人说邻居家7岁孩子一个人在家，大人两天没回来了，孩子一直在哭，现在家里没吃的。农安县某村。"


def test_intake_uses_the_trained_model(api_as, state, fixture_model_dir):
    state.triage = ClassifierTriage(load_classifier(fixture_model_dir), state.taxonomy)
    body = api_as("operator").post("/tickets", json={"channel": "phone", "text": EMERGENCY}).get_json()
    assert body["status"] == "triaged" and body["triage"]["mode"] == "auto"
    assert body["category"] in state.taxonomy.categories
    assert body["urgency"] == "emergency"  # the rule layer raises it whatever the small model says
    assert (body["prefecture"], body["county"]) == ("长春市", "农安县")
    predicted = body["triage"]["predicted"]
    assert "public_security" in [predicted["agency"], *predicted["co_agencies"]]
    assert 0 <= body["triage"]["confidence"] <= 1


def test_without_a_model_the_rules_still_flag_the_emergency_and_place(api_as, state):
    body = api_as("operator").post("/tickets", json={"channel": "phone", "text": EMERGENCY}).get_json()
    assert body["status"] == "received" and body["triage"]["mode"] == "pending"
    assert body["urgency"] == "emergency" and body["category"] is None
    assert body["county"] == "农安县"


def test_a_refused_artifact_falls_back_to_rules(tmp_path, fixture_model_dir, state, caplog):
    bad = tmp_path / "model"
    bad.mkdir()
    for f in fixture_model_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    card = json.loads((bad / "model.json").read_text(encoding="utf-8"))
    card["taxonomy_sha256"] = "0" * 64
    (bad / "model.json").write_text(json.dumps(card), encoding="utf-8")
    triage = load_triage(bad, state.taxonomy)
    assert triage.has_model is False
    assert "refused" in caplog.text
    assert load_triage(tmp_path / "nowhere", state.taxonomy).has_model is False


def test_the_suggestion_carries_the_models_possible_emergency_mark(state, fixture_model_dir):
    clf = load_classifier(fixture_model_dir)
    triage = ClassifierTriage(clf, state.taxonomy)
    calm = "来电人反映邻居家大人经常打骂孩子，希望有关部门上门了解情况。"
    clf.settings.emergency_threshold, clf.settings.emergency_review_threshold = 1.01, 0.0
    assert triage.suggest(calm).possible_emergency is True
    clf.settings.emergency_review_threshold = None
    assert triage.suggest(calm).possible_emergency is False
