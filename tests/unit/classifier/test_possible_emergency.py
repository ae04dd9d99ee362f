"""疑似特急: a ticket the model does not call an emergency but whose P(emergency) is close is marked for review,
so the operator asks the caller; training picks the mark's threshold within a review budget; the evaluation
counts the missed emergencies the mark still puts in front of a person. An emergency cue on a ticket the model
all but rules out (under the cue floor) gets the same mark instead of raising urgency."""

from pathlib import Path

import numpy as np
import pytest

from classifier import Item, Prediction, load_classifier, train
from classifier.data import LabelledItem
from classifier.evaluation import evaluate_predictions, format_report
from classifier.schema import POSSIBLE_EMERGENCY
from classifier.training import pick_cue_floor, pick_review_threshold

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "classifier_fixture.jsonl"
CALM = "来电人反映邻居家大人经常打骂孩子，孩子身上有伤，希望有关部门上门了解情况。"
ALONE = "来电人反映，农安县某村一个7岁孩子父母都在外地打工，爷爷住院了，孩子一个人在家两天没吃饭。"


@pytest.fixture(scope="module")
def clf(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    train([FIXTURE], out, seed=1, grid=(("svc", 0.5),), cv_folds=2)
    return load_classifier(out)


def _p_emergency(clf, text: str) -> float:
    head = clf.heads["urgency"]
    xs = clf._transform(("urgency",), [text])["urgency"]
    return float(head.proba(xs)[0][head.classes.index("emergency")])


def test_training_stores_a_review_threshold_and_a_cue_floor(clf):
    assert clf.settings.emergency_review_threshold is not None
    assert clf.settings.emergency_review_threshold <= clf.settings.emergency_threshold
    assert clf.settings.emergency_cue_floor is not None
    assert clf.settings.emergency_cue_floor < clf.settings.emergency_review_threshold


def test_the_mark_follows_the_review_threshold(clf):
    p = _p_emergency(clf, CALM)
    saved = clf.settings.emergency_threshold, clf.settings.emergency_review_threshold
    clf.settings.emergency_threshold = 1.01  # the model alone never says emergency here
    try:
        for review, marked in ((p - 0.01, True), (p + 0.01, False), (None, False)):
            clf.settings.emergency_review_threshold = review
            pred = clf.predict([Item("c", CALM)])[0]
            assert pred.urgency != "emergency"
            assert (POSSIBLE_EMERGENCY in pred.review_reasons) is marked, review
            assert pred.needs_review or not marked
        # an emergency (here raised by the rule layer's cues) is never also "possibly" one
        clf.settings.emergency_review_threshold = 0.0
        alone = clf.predict([Item("a", ALONE)])[0]
        assert alone.urgency == "emergency" and POSSIBLE_EMERGENCY not in alone.review_reasons
    finally:
        clf.settings.emergency_threshold, clf.settings.emergency_review_threshold = saved


def test_pick_review_threshold_keeps_within_the_budget():
    proba = np.array([0.9, 0.8, 0.33, 0.28, 0.22, 0.14, 0.1, 0.05, 0.01, 0.0])
    decided = proba >= 0.8
    assert pick_review_threshold(proba, decided, 0.2)[0] == 0.25  # marks 0.33 and 0.28: 2 of 10
    assert pick_review_threshold(proba, decided, 0.1)[0] == 0.3
    assert pick_review_threshold(np.full(4, 0.99), np.zeros(4, bool), 0.5)[0] is None  # even 0.95 marks all


def test_under_the_cue_floor_a_cue_marks_the_ticket_instead_of_raising_it(clf):
    p = _p_emergency(clf, ALONE)
    saved = clf.settings.emergency_threshold, clf.settings.emergency_cue_floor
    clf.settings.emergency_threshold = 1.01  # only the cue can make it an emergency
    try:
        for floor, raised in ((None, True), (p - 0.001, True), (p + 0.001, False)):
            clf.settings.emergency_cue_floor = floor
            pred = clf.predict([Item("a", ALONE)])[0]
            assert pred.cues, "the rule layer sees the child alone"
            assert (pred.urgency == "emergency") is raised, floor
            assert (POSSIBLE_EMERGENCY in pred.review_reasons) is not raised
            assert pred.needs_review or raised
    finally:
        clf.settings.emergency_threshold, clf.settings.emergency_cue_floor = saved


def test_pick_cue_floor_loses_no_emergency_a_cue_caught():
    proba = np.array([0.9, 0.2, 0.035, 0.025, 0.015, 0.004, 0.3])
    cue = np.array([True, True, True, True, True, True, False])
    gold = np.array([True, True, True, False, False, False, True])
    floor, stats = pick_cue_floor(proba, cue, gold)
    assert floor == 0.03  # 0.04 would lose the emergency at 0.035
    assert (stats["cv_cue_positives"], stats["cv_cue_negatives"], stats["cv_negatives_under"]) == (3, 3, 3)
    assert pick_cue_floor(np.array([0.001]), np.array([True]), np.array([True]))[0] is None
    assert pick_cue_floor(np.array([0.5, 0.0]), np.array([False, True]), np.array([True, False]))[0] == 0.05


def _pred(i, urgency, *reasons):
    return Prediction(id=i, type="ticket", category="guardianship", agency="civil_affairs", kind="report",
                      urgency=urgency, needs_review=bool(reasons), review_reasons=reasons)


def test_the_evaluation_counts_missed_emergencies_that_were_marked():
    gold = ["emergency", "emergency", "emergency", "urgent"]
    labelled = [LabelledItem(Item(str(i), "x"), {"category": "guardianship", "kind": "report", "urgency": g})
                for i, g in enumerate(gold)]
    preds = [_pred("0", "emergency"), _pred("1", "urgent", POSSIBLE_EMERGENCY), _pred("2", "urgent"),
             _pred("3", "urgent", POSSIBLE_EMERGENCY)]
    report = evaluate_predictions(labelled, preds)
    em = report["emergency"]
    assert (em["missed"], em["missed_marked_possible"], em["possible_share"]) == (2, 1, 0.5)
    assert report["summary"]["emergency_recall"] == pytest.approx(1 / 3)
    assert report["summary"]["emergency_recall_with_review"] == pytest.approx(2 / 3)
    assert "1 of the 2 missed emergencies" in format_report(report)
