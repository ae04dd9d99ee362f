"""The fast paths of inference must give exactly what the plain paths give.

Covered: the cue prefilter (which patterns are tried, and where), the fused TF-IDF union transform,
the shared explanation text, and batch versus one-by-one prediction.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classifier import Item, load_classifier, read_corpus
from classifier import cues as cues_mod
from classifier.explain import MAX_PHRASE, TextEvidence, _is_content, _occurrences, _spans, readable
from classifier.features import build_features
from classifier.model import _char_grams, _CharTable, _tfidf_parts, _union_plan, _union_transform
from classifier.text import _keep, _tokens, cut, item_text, normalize, stopwords, tokenize

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "data" / "classifier_fixture.jsonl"
ADVERSARIAL = ROOT / "bench" / "data" / "triage_adversarial"

#: texts that stress the analysers: empty, spaces only, one character, punctuation, emoji, URLs,
#: mentions, phone numbers, Latin and digits, repeated n-grams, a long text
ODD_TEXTS = [
    "", " ", "　", "孩", "！！", "？", "a", "AB cd", "😀😀孩子😀", "http://x.cn/a?b=1 孩子走丢了",
    "//@某某: 转发微博 #话题# 孩子", "电话13812345678，孩子在家", "孩子孩子孩子孩子", "哈哈哈哈哈哈哈",
    "打打打打 打 打", "ＡＢＣ１２３孩子８岁", "这是一个没有见过的词语组合xyz",
    "我想问问，另外孩子刚才说不想活了，现在人在楼顶。" * 8,
]


def _texts() -> list[str]:
    items = [li.item for li in read_corpus([FIXTURE]).items]
    if ADVERSARIAL.exists():
        items += [li.item for li in read_corpus([ADVERSARIAL]).items]
    texts = [normalize(item_text(it.text, it.title)) for it in items]
    situations = ROOT / "classifier" / "data" / "emergency_situations.yaml"
    if situations.exists():  # the cue examples: every family fires somewhere in them
        texts += [normalize(t) for t in re.findall(r"[\u4e00-\u9fff][^\n\"']{3,}", situations.read_text("utf-8"))]
    return texts + [normalize(t) for t in ODD_TEXTS]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts()


# -- cues ------------------------------------------------------------------------------------------


def test_match_prefixes_of_small_patterns():
    p = cues_mod.match_prefixes
    assert p(re.compile("ab|c")) == {"ab", "c"}
    assert p(re.compile("a*b")) == {"aa", "ab", "b"}
    assert p(re.compile("(?<!x)y.z")) == {"y"}
    assert p(re.compile("(?:ab|c)?(?:d|e)")) == {"ab", "cd", "ce", "d", "e"}
    assert p(re.compile("[ab]c|d\\w")) == {"ac", "bc", "d"}
    assert "" in p(re.compile("a?"))  # can match nothing: may start anywhere
    assert "" in p(re.compile("[^x]y"))
    assert "" in p(re.compile("(?i)ab"))


def test_cue_prefilter_never_skips_a_match(texts):
    index = cues_mod._cue_index()
    for text in texts:
        tried = dict(index.matches(text))
        for k, spec in enumerate(cues_mod.CUES):
            every = [(m.start(), m.end()) for m in spec.pattern.finditer(text)]
            if every:
                assert k in tried, (spec.family, text)
            assert [(m.start(), m.end()) for m in tried.get(k, ())] == every, (spec.family, text)


def test_cue_prefilter_finds_the_same_cues_as_scanning_every_pattern(texts, monkeypatch):
    fast = [cues_mod.find_emergency_cues(t) for t in texts]
    scan_all = cues_mod._CueIndex(cues_mod.CUES)
    scan_all.always = (1 << len(cues_mod.CUES)) - 1  # every pattern, scanned with finditer
    monkeypatch.setattr(cues_mod, "_cue_index", lambda: scan_all)
    assert [cues_mod.find_emergency_cues(t) for t in texts] == fast
    assert any(fast), "the probe texts should contain cues"


# -- the feature transform -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_union():
    texts = [li.item.text for li in read_corpus([FIXTURE]).items]
    features = build_features()  # the training defaults (min_df 2)
    features.fit(texts)
    return features


def _generic(features, texts):
    """The transform before the fused plan: each part by _tfidf_parts, then assembled."""
    import scipy.sparse as sp

    parts = [t for _, t in features.transformer_list]
    mats = []
    for vec in parts:
        r, c, v = _tfidf_parts(vec, texts)
        mats.append(sp.csr_matrix((v, (r, c)), shape=(len(texts), len(vec.vocabulary_))))
    return sp.hstack(mats, format="csr")


def test_fused_transform_equals_the_generic_one_bit_for_bit(fitted_union, texts):
    assert _union_plan(fitted_union) is not None
    probe = texts[:300] + [normalize(t) for t in ODD_TEXTS]
    got = _union_transform(fitted_union, probe)
    want = _generic(fitted_union, probe)
    assert got.shape == want.shape
    assert np.array_equal(got.indptr, want.indptr)
    assert np.array_equal(got.indices, want.indices)
    assert got.data.dtype == want.data.dtype
    assert np.array_equal(got.data, want.data)
    sk = fitted_union.transform(probe).tocsr()
    assert np.abs((got - sk).toarray()).max() < 1e-6


def test_char_table_finds_the_grams_a_dictionary_look_up_finds(texts):
    """The batch look-up of char 1-3 grams by code points gives the same (row, column) entries as looking
    each gram of ``_char_grams`` up in the vocabulary, across text boundaries, astral characters and lone
    surrogates included."""
    probe = [*texts[:200], *ODD_TEXTS, "\ud800孩子\udfff", "𠀀𠀁孩", "ab"]
    vocabulary = {gram: i for i, gram in enumerate(sorted({g for t in probe[::2] for g in _char_grams(t)}))}
    vocabulary["abcd"] = len(vocabulary)  # never made by the analyser: ignored
    rows, cols = _CharTable(vocabulary).lookup(probe)
    want = sorted((r, vocabulary[g]) for r, t in enumerate(probe) for g in _char_grams(t) if g in vocabulary)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == want
    assert _CharTable(vocabulary).lookup([])[0].size == 0


def test_fused_transform_of_one_text_is_its_row_of_a_batch(fitted_union, texts):
    batch = _union_transform(fitted_union, texts[:40])
    for i in (0, 7, 39):
        one = _union_transform(fitted_union, [texts[i]])
        row = batch[i]
        assert np.array_equal(one.indices, row.indices) and np.array_equal(one.data, row.data)


def test_other_analysers_take_the_generic_path():
    features = build_features(tokenizer=str.split, char_preprocessor=str.strip, word_min_df=1, char_min_df=1)
    docs = ["孩子 走丢 了", "孩子 在 家", "家 里 没人"]
    features.fit(docs)
    assert _union_plan(features) is None
    got = _union_transform(features, docs)
    assert np.abs((got - features.transform(docs)).toarray()).max() < 1e-6


def test_cached_segmentation_is_the_segmentation(texts):
    drop = stopwords("labels") | {"", " "}
    for text in texts[:200]:
        assert list(_tokens(text)) == tokenize(text)
        assert list(_tokens(text)) == [t for t in cut(text) if t not in drop and _keep(t)]
        spans, pos = [], 0
        for word in cut(text):  # the uncached segmentation, placed as explain._spans places it
            at = text.find(word, pos)
            if at >= 0:
                spans.append((word, at, at + len(word)))
                pos = at + len(word)
        assert list(_spans(text)) == spans


# -- explanations ----------------------------------------------------------------------------------


def _reference_readable(norm, contributions, top):
    """The explanation algorithm as first written (one text, one head, nothing shared)."""
    weight = [0.0] * len(norm)
    spans = _spans(norm)
    tokens = [(w, s, e) for w, s, e in spans if _is_content(w)]
    starts: dict[str, list[int]] = {}
    for k, (w, _, _) in enumerate(tokens):
        starts.setdefault(w, []).append(k)

    def spread(start, end, value):
        share = value / (end - start)
        for i in range(start, end):
            weight[i] += share

    for feature, value in contributions:
        if value <= 0:
            continue
        if feature.startswith("~"):
            gram = feature[1:]
            hits = _occurrences(norm, gram) if gram else []
            for i in hits:
                spread(i, i + len(gram), value / len(hits))
            continue
        words = feature.split(" ")
        hits = [k for k in starts.get(words[0], ())
                if k + len(words) <= len(tokens) and all(tokens[k + j][0] == w for j, w in enumerate(words))]
        for k in hits:
            for j in range(len(words)):
                _, s, e = tokens[k + j]
                spread(s, e, value / len(hits) / len(words))
    scored = [(w, s, e, sum(weight[s:e])) for w, s, e in spans]
    chosen = sorted((x for x in scored if x[3] > 0 and _is_content(x[0])), key=lambda x: -x[3])[:top]
    chosen.sort(key=lambda x: x[1])
    phrases, run = [], []
    for item in [*chosen, None]:
        if run and (item is None or item[1] != run[-1][2] or item[2] - run[0][1] > MAX_PHRASE):
            phrases.append((norm[run[0][1]:run[-1][2]], round(sum(x[3] for x in run), 4)))
            run = []
        if item is not None:
            run.append(item)
    return sorted(phrases, key=lambda p: -p[1])


def test_shared_text_evidence_explains_as_the_reference(texts):
    rng = np.random.default_rng(7)
    for norm in texts[:150]:
        words = list(_tokens(norm))
        grams = ["~" + norm[i : i + k] for k in (1, 2, 3) for i in range(max(len(norm) - k + 1, 0))]
        bigrams = [" ".join(p) for p in itertools.pairwise(words)]
        pool = grams + words + bigrams + ["~", "~不存在", "不存在 的词"]
        evidence = TextEvidence(norm)
        for _ in range(3):  # several heads share one TextEvidence
            picked = [pool[j] for j in rng.integers(0, len(pool), size=min(40, len(pool)))]
            contributions = [(f, float(v)) for f, v in zip(picked, rng.normal(0.05, 0.1, len(picked)), strict=True)]
            want = _reference_readable(norm, contributions, 6)
            assert evidence.readable(contributions, 6) == want
            assert readable(norm, contributions, 6) == want


# -- whole predictions -----------------------------------------------------------------------------


def _fields(p) -> str:
    return json.dumps({**p.__dict__, "explanation": p.explanation, "scores": p.scores}, ensure_ascii=False,
                      sort_keys=True, default=str)


def test_batch_prediction_equals_one_by_one(fixture_model_dir):
    clf = load_classifier(fixture_model_dir)
    items = [li.item for li in read_corpus([FIXTURE]).items][:120]
    items += [Item(f"odd-{i}", t or "空", "ticket" if i % 2 else "sentiment") for i, t in enumerate(ODD_TEXTS)]
    for explain in (True, False):
        batch = clf.predict(items, explain=explain)
        one_by_one = [clf.predict([it], explain=explain)[0] for it in items]
        assert [_fields(p) for p in batch] == [_fields(p) for p in one_by_one]
        assert [p.id for p in batch] == [it.id for it in items]
    assert any(p.explanation for p in clf.predict(items[:20]))


def test_normalize_skips_only_substitutions_that_cannot_apply():
    from classifier import text as text_mod

    def unguarded(t: str) -> str:
        t = unicodedata.normalize("NFKC", t)
        t = text_mod._URL.sub(" ", t)
        t = text_mod._REPOST.sub(" ", t)
        t = text_mod._MENTION.sub(" ", t)
        t = text_mod._REPOST_WORDS.sub(" ", t)
        t = text_mod._HASHTAG.sub(lambda m: f" {m.group(1) or m.group(2)} ", t)
        t = text_mod._EMOJI.sub(" ", t)
        t = text_mod._MASKED_PHONE.sub(" 电话 ", t)
        return text_mod._SPACE.sub(" ", t.lower()).strip()

    probes = [*ODD_TEXTS, "HTTP://A.CN/x 孩子", "WwW.x.com 看", "ｗｗｗ．ｘ．ｃｏｍ", "Ｈｔｔｐｓ：／／ｘ 孩子",
              "／／＠某某：转发微博 孩子", "＃话题＃ 和 #另一个", "原文：xx", "【转】孩子", "@小明 你好", "[转]帖子"]
    probes += [li.item.text for li in read_corpus([FIXTURE]).items]
    for t in probes:
        assert normalize.__wrapped__(t) == unguarded(t), t


def test_a_refitted_union_gets_a_new_plan(texts):
    features = build_features(word_min_df=1, char_min_df=1)
    features.fit(texts[:30])
    first = _union_transform(features, texts[:5])
    features.fit(texts[30:80])  # new vocabulary: the cached plan must not be used
    got = _union_transform(features, texts[:5])
    assert got.shape[1] != first.shape[1] or (got != first).nnz
    assert np.array_equal(got.toarray(), _generic(features, texts[:5]).toarray())


def test_explaining_some_heads_gives_those_heads_as_explaining_all(fixture_model_dir):
    clf = load_classifier(fixture_model_dir)
    items = [li.item for li in read_corpus([FIXTURE]).items][:80]
    full = clf.predict(items)
    for keys in (("category",), ("urgency", "risk"), ("relevant", "polarity"), ()):
        some = clf.predict(items, explain=keys)
        for a, b in zip(full, some, strict=True):
            assert b.explanation == {k: v for k, v in a.explanation.items() if k in keys}
            assert _fields(replace(a, explanation={})) == _fields(replace(b, explanation={}))
    assert any(p.type == "sentiment" for p in items) and any(p.type == "ticket" for p in items)
