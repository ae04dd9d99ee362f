"""Training on a small fabricated fixture, prediction shape, artifact round trip and refusal."""

import json
from pathlib import Path

import pytest

from classifier import (
    CONTRACT_FIELDS,
    ArtifactError,
    Item,
    evaluate,
    format_report,
    load_classifier,
    read_corpus,
    split,
    train,
)
from classifier.artifacts import CARD_FILE, MISMATCH_MESSAGE, MODEL_FILE
from classifier.data import is_heldout, split_bucket
from classifier.taxonomy import load_taxonomy

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "classifier_fixture.jsonl"
SMALL_GRID = (("svc", 0.5),)

ITEMS = [
    Item("a1", "来电人反映，农安县某村一个7岁孩子父母都在外地打工，爷爷住院了，孩子一个人在家两天没吃饭。"),
    Item("a2", "想咨询一下孤儿基本生活费每个月多少钱，怎么申请？"),
    Item("a3", "#吉林身边事# 转发：延吉一小学门口有人发传单，说是免费领玩具。", "sentiment", "校门口发传单"),
    Item("a4", "今天小区停暖了，什么时候能恢复？"),
]


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    messages = []
    fb = [(Item("fb-1", "孩子低保申请被退回了，想问问缺什么材料", "ticket"),
           {"category": "basic_living", "kind": "consult", "urgency": "normal"})]
    card = train([FIXTURE], out, seed=1, grid=SMALL_GRID, cv_folds=2, feedback=fb, progress=messages.append)
    return out, card, messages


def test_training_writes_artifact_and_card(artifact):
    out, card, messages = artifact
    assert (out / MODEL_FILE).is_file() and (out / CARD_FILE).is_file()
    data = json.loads((out / CARD_FILE).read_text(encoding="utf-8"))
    for key in ("created_at", "artifact_version", "versions", "data_sha256", "taxonomy_sha256", "heldout",
                "seed", "counts", "corrections_used"):
        assert key in data
    assert set(data["versions"]) >= {"python", "sklearn", "jieba", "numpy"}
    assert data["taxonomy_sha256"] == load_taxonomy().sha256
    assert data["corrections_used"] == 1 and card.corrections_used == 1
    assert data["seed"] == 1
    assert data["counts"]["train"] + data["counts"]["heldout"] == data["counts"]["total"] + 1
    assert "category_macro_f1" in data["heldout"]["summary"]
    assert messages  # progress was reported


def test_round_trip_predictions_follow_the_contract(artifact):
    out, _, _ = artifact
    clf = load_classifier(out)
    tax = load_taxonomy()
    preds = clf.predict(ITEMS)
    assert [p.id for p in preds] == ["a1", "a2", "a3", "a4"]
    for item, p in zip(ITEMS, preds, strict=True):
        c = p.to_contract()
        assert tuple(c) == CONTRACT_FIELDS
        assert c["category"] in tax.categories and c["agency"] in tax.agencies
        assert all(a in tax.agencies for a in c["co_agencies"])
        assert 0.0 <= c["confidence"] <= 1.0 and isinstance(c["needs_review"], bool)
        if item.type == "ticket":
            assert c["kind"] in tax.kinds and c["urgency"] in tax.urgency
            assert c["relevant"] is None and c["polarity"] is None and c["risk"] is None
        else:
            assert c["kind"] is None and c["urgency"] is None
            assert isinstance(c["relevant"], bool) and c["risk"] in ("high", "medium", "low")
        if c["urgency"] == "emergency":
            assert "public_security" in (c["agency"], *c["co_agencies"])
        if c["category"] == "other" and item.type == "ticket":
            assert c["urgency"] == "normal"
        assert c["agency"] == tax.categories[c["category"]].lead
    a1 = preds[0]
    assert (a1.prefecture, a1.county) == ("长春市", "农安县")
    assert a1.urgency == "emergency"  # rule layer: a child alone without food now
    assert preds[2].county == "延吉市"


def test_predictions_explain_themselves(artifact):
    clf = load_classifier(artifact[0])
    p = clf.predict([ITEMS[1]])[0]
    assert set(p.explanation) == {"category", "kind", "urgency"}
    terms = p.explanation["category"]
    assert terms and all(isinstance(t, str) and w > 0 for t, w in terms)
    assert clf.predict([ITEMS[1]], explain=False)[0].explanation == {}


def test_predict_empty_batch(artifact):
    assert load_classifier(artifact[0]).predict([]) == []


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for name in (MODEL_FILE, CARD_FILE):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def _edit_card(path: Path, **changes):
    card = json.loads((path / CARD_FILE).read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "sklearn":
            card["versions"]["sklearn"] = value
        else:
            card[key] = value
    (path / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [{"taxonomy_sha256": "0" * 64}, {"format_version": 999}, {"sklearn": "0.24.2"}],
)
def test_refuses_mismatched_artifact(artifact, tmp_path, change):
    bad = _copy(artifact[0], tmp_path / "bad")
    _edit_card(bad, **change)
    with pytest.raises(ArtifactError) as exc:
        load_classifier(bad)
    assert MISMATCH_MESSAGE in str(exc.value)


def test_refuses_missing_and_corrupt_artifacts(artifact, tmp_path):
    with pytest.raises(ArtifactError, match="hotline train"):
        load_classifier(tmp_path / "nowhere")
    bad = _copy(artifact[0], tmp_path / "corrupt")
    (bad / MODEL_FILE).write_bytes(b"not a pickle")
    with pytest.raises(ArtifactError, match="hotline train"):
        load_classifier(bad)
    (bad / CARD_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactError, match="hotline train"):
        load_classifier(bad)


def test_evaluate_report_and_text(artifact):
    clf = load_classifier(artifact[0])
    corpus = read_corpus([FIXTURE])
    report = evaluate(clf, corpus.items)
    assert {"category", "kind", "urgency", "relevant", "polarity", "risk"} <= set(report["heads"])
    cat = report["heads"]["category"]
    assert 0.0 <= cat["macro_f1"] <= 1.0
    assert len(cat["confusion"]["matrix"]) == len(cat["confusion"]["labels"])
    for key in ("emergency", "place", "sentiment_relevance", "high_risk", "summary"):
        assert key in report
    # on its own training data the fixture is easy: the model must have learnt something
    assert report["summary"]["category_macro_f1"] > 0.6
    text = format_report(report)
    assert "category_macro_f1" in text and "confusion" in text


def test_evaluate_accepts_pairs(artifact):
    clf = load_classifier(artifact[0])
    report = evaluate(clf, [(ITEMS[1], {"category": "basic_living", "kind": "consult", "urgency": "normal",
                                        "prefecture": None, "county": None})])
    assert report["n"]["tickets"] == 1
    assert report["place"]["n_unnamed"] == 1


def test_split_is_deterministic_and_keeps_repost_groups_together():
    items = read_corpus([FIXTURE]).items
    train1, test1 = split(items)
    train2, test2 = split(list(reversed(items)))
    assert {li.item.id for li in test1} == {li.item.id for li in test2}
    assert 0 < len(test1) < len(items)
    groups_train = {li.group for li in train1 if li.group}
    groups_test = {li.group for li in test1 if li.group}
    assert not groups_train & groups_test
    for li in items:
        if li.group:
            assert is_heldout(li) == (split_bucket(li.group) < 0.2)


def test_read_corpus_skips_bad_and_partial_lines(tmp_path):
    good = FIXTURE.read_text(encoding="utf-8").splitlines()[:3]
    bad = '{"id": "x1", "type": "ticket", "text": "t", "category": "nonsense", "kind": "help", "urgency": "normal"}'
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([*good, bad, "{broken", good[0]]) + "\n" + '{"id": "partial", "te', encoding="utf-8")
    corpus = read_corpus([path])
    assert [li.item.id for li in corpus.items] == ["fx-t001", "fx-t002", "fx-t003"]
    assert len(corpus.problems) == 3  # unknown category, invalid JSON, duplicate id; partial line ignored
