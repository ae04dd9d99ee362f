"""Agency accuracy in evaluation reports: the set's agency label when it has one, else the lead agency of
the gold category (the routing table), compared with the predicted lead."""

from classifier.data import record_to_labelled
from classifier.evaluation import evaluate_predictions
from classifier.schema import Prediction


def ticket(i, category, agency=None):
    rec = {"id": i, "type": "ticket", "text": "来电", "category": category, "kind": "help", "urgency": "normal"}
    if agency:
        rec["agency"] = agency
    return record_to_labelled(rec)


def predicted(i, category, agency):
    return Prediction(id=i, type="ticket", category=category, agency=agency, kind="help", urgency="normal")


def test_agency_accuracy_uses_the_label_or_the_gold_categorys_lead():
    gold = [ticket("1", "medical"), ticket("2", "guardianship"), ticket("3", "education", agency="education"),
            ticket("4", "basic_living")]
    preds = [predicted("1", "medical", "health"), predicted("2", "personal_safety", "public_security"),
             predicted("3", "education", "education"),
             predicted("4", "guardianship", "civil_affairs")]  # wrong category, same agency
    report = evaluate_predictions(gold, preds)
    assert report["heads"]["agency"]["accuracy"] == 0.75
    assert report["summary"]["agency_accuracy"] == 0.75
    assert report["heads"]["category"]["accuracy"] == 0.5


def test_an_unknown_agency_label_is_refused(tmp_path):
    from classifier.data import read_corpus

    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "1", "type": "ticket", "text": "来电", "category": "medical", "kind": "help", '
                    '"urgency": "normal", "agency": "ministry_of_magic"}\n', encoding="utf-8")
    corpus = read_corpus([path])
    assert corpus.items == [] and "unknown agency" in corpus.problems[0]
