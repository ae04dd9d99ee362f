"""The fast inference paths compute exactly what scikit-learn computes."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from classifier import text as text_mod
from classifier.data import read_corpus
from classifier.features import CalibratedLinearSVC, build_features
from classifier.model import _thresholded, _union_transform, fast_tfidf_transform
from classifier.training import pick_threshold

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "classifier_fixture.jsonl"


@pytest.fixture(scope="module")
def fixture_items():
    return read_corpus([FIXTURE]).items


@pytest.fixture(scope="module")
def fitted(fixture_items):
    texts = [li.item.text for li in fixture_items]
    features = build_features(word_min_df=1, char_min_df=1)
    return features, features.fit_transform(texts).tocsr(), texts


def test_union_transform_equals_scikit_learn(fitted):
    features, _, texts = fitted
    probe = [*texts[:20], "", "   ", "！！", "全新的未见过的词语组合abc"]
    expected = features.transform(probe).tocsr()
    got = _union_transform(features, probe)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.abs((got - expected).toarray()).max() < 1e-6
    for _, vec in features.transformer_list:
        assert np.abs((fast_tfidf_transform(vec, probe) - vec.transform(probe)).toarray()).max() < 1e-6


def test_char_ngrams_match_scikit_learn_char_analyzer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), preprocessor=text_mod.normalize,
                          lowercase=False).build_analyzer()
    for t in ("孩子 现在一个人在家,ABC  12", "", "a"):
        assert text_mod.char_ngrams(t) == ref(t)


@pytest.mark.parametrize("head", ["category", "urgency", "relevant"])
def test_calibrated_linear_svc_matches_calibrated_classifier_cv(fixture_items, fitted, head):
    _, xs, _ = fitted
    rows = [i for i, li in enumerate(fixture_items) if head in li.labels]
    y = np.array([fixture_items[i].labels[head] for i in rows], dtype=object)
    if head == "relevant":
        y = y.astype(bool)
    x = xs[rows]
    ref = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced", random_state=3), method="sigmoid",
                                 cv=3).fit(x, y)
    ours = CalibratedLinearSVC(reg=0.5, random_state=3).fit(x, y)
    assert list(ours.classes_) == list(ref.classes_)
    assert np.abs(ours.predict_proba(x) - ref.predict_proba(x)).max() < 1e-5
    assert (ours.predict(x) == ref.predict(x)).all()
    assert ours.coef_.shape[0] == (1 if len(ours.classes_) == 2 else len(ours.classes_))


def test_thresholded_label():
    classes = ["emergency", "normal", "urgent"]
    assert _thresholded(classes, np.array([0.35, 0.40, 0.25]), "emergency", 0.3) == "emergency"
    assert _thresholded(classes, np.array([0.45, 0.20, 0.35]), "emergency", 0.5) == "urgent"
    assert _thresholded(classes, np.array([0.45, 0.20, 0.35]), "emergency", None) == "emergency"


def test_pick_threshold_prefers_highest_threshold_meeting_target():
    proba = np.array([0.9, 0.8, 0.35, 0.2, 0.1, 0.6])
    gold = np.array([1, 1, 1, 0, 0, 0], bool)
    cue = np.zeros(6, bool)
    t, stats = pick_threshold(proba, cue, gold, recall_target=1.0, precision_floor=0.7)
    assert t == 0.35 and stats["cv_recall"] == 1.0 and stats["cv_precision"] == 0.75
    # a cue that catches the hard positive lets the threshold go up
    cue[2] = True
    t, _ = pick_threshold(proba, cue, gold, recall_target=1.0, precision_floor=0.7)
    assert t == 0.8


def test_segmenters_agree_when_rjieba_is_installed():
    pytest.importorskip("rjieba")
    texts = ["前郭尔罗斯蒙古族自治县的事实无人抚养儿童去儿童福利院", "孩子现在一个人在家两天没吃饭"]
    try:
        text_mod.use_segmenter("jieba")
        a = [text_mod.tokenize(t) for t in texts]
        text_mod.use_segmenter("rjieba")
        b = [text_mod.tokenize(t) for t in texts]
    finally:
        text_mod.use_segmenter(None)
    assert a == b
