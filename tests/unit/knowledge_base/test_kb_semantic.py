"""The semantic signal: the distilled linear encoder, its fit, the blend into search, and no leakage."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge_base import InMemoryStore, KnowledgeBase, RankingParams
from knowledge_base.distill import embed_cached, fit, training_texts
from knowledge_base.semantic import SemanticEncoder, char_grams, shipped_encoder
from knowledge_base.sources import Passage

EVAL = Path(__file__).resolve().parents[3] / "knowledge_base" / "data" / "eval"

# four meanings, each said two ways that share no character: the encoder must learn that the two words
# of a pair mean the same from the targets alone
PAIRS = [("坐牢", "服刑"), ("打工", "务工"), ("挨打", "殴打"), ("辍学", "失学")]


@pytest.fixture(scope="module")
def toy_encoder() -> SemanticEncoder:
    rng = np.random.default_rng(3)
    meaning = {w: rng.normal(size=8) for w, _ in PAIRS}
    meaning.update({b: meaning[a] for a, b in PAIRS})
    words = [w for pair in PAIRS for w in pair]
    pick = random.Random(5)
    texts, targets = [], []
    for _ in range(400):
        chosen = pick.sample(words, 2)
        texts.append(" ".join(chosen))
        targets.append(sum(meaning[w] for w in chosen))
    return fit(texts, np.array(targets), dims=6, alpha=0.1)


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_words_with_the_same_target_meaning_encode_alike(toy_encoder):
    for a, b in PAIRS:
        same = cos(toy_encoder.encode(a), toy_encoder.encode(b))
        others = [cos(toy_encoder.encode(a), toy_encoder.encode(x)) for x, _ in PAIRS if x != a]
        assert same > 0.9 and same > max(others) + 0.3, (a, b, same, others)


def test_encodings_are_unit_vectors_and_unknown_text_is_zero(toy_encoder):
    assert np.linalg.norm(toy_encoder.encode("坐牢 打工")) == pytest.approx(1.0, abs=1e-5)
    assert not toy_encoder.encode("ABCDEFG").any()  # no word or character the encoder knows
    assert toy_encoder.encode_many([]).shape == (0, toy_encoder.dims)


def test_save_and_load_keep_the_encoding(toy_encoder, tmp_path):
    toy_encoder.save(tmp_path / "enc.npz")
    loaded = SemanticEncoder.load(tmp_path / "enc.npz")
    for text in ("坐牢 打工", "务工", "殴打 失学"):
        assert np.allclose(loaded.encode(text), toy_encoder.encode(text), atol=2e-3)  # coef stored as float16


def test_char_grams_are_characters_and_pairs_with_spaces_collapsed():
    assert char_grams("Ab  c") == ["a", "b", " ", "c", "ab", "b ", " c"]


def test_embed_cached_embeds_each_text_once(tmp_path):
    calls: list[str] = []

    def embed(batch: list[str]) -> np.ndarray:
        calls.extend(batch)
        return np.array([[len(t), t.count("孩")] for t in batch], dtype=np.float32)

    cache = tmp_path / "cache.npz"
    first = embed_cached(["孩子", "大人"], embed, cache)
    again = embed_cached(["大人", "孩子孩子", "孩子"], embed, cache)
    assert calls == ["孩子", "大人", "孩子孩子"]
    assert again.tolist() == [first[1].tolist(), [4, 2], first[0].tolist()]


def test_no_evaluation_query_is_a_training_text():
    """The encoder is fitted on the similar questions, the corpus and the passages, never on a query set."""
    queries = {q["query"] for f in EVAL.glob("*.yaml") for q in yaml.safe_load(f.read_text(encoding="utf-8"))["queries"]}
    assert len(queries) > 800
    assert not queries & set(training_texts())


# ---------------------------------------------------------------- the shipped encoder in search

def passage(pid: str, title: str, text: str, type_: str = "law", categories: tuple[str, ...] = ()) -> Passage:
    return Passage(id=pid, article_id=pid.split("#")[0], type=type_, title=title, section="", section_path=(),
                   text=text, doc_title=title, source="测试", categories=categories)


@pytest.fixture(scope="module")
def small_kb():
    """Five scripts on five matters; the prison script is asked about only in words no query below uses."""
    store = InMemoryStore.from_passages([
        passage("law#1", "第一条", "学校应当保障未成年学生的受教育权。", categories=("education",)),
        passage("script-x", "父母服刑的孩子怎么帮扶", "父母在押服刑的，由民政部门评估监护情况。", "script", ("guardianship",)),
        passage("script-y", "孩子不上学怎么办", "适龄儿童失学辍学的，教育部门应当劝返复学。", "script", ("education",)),
        passage("script-z", "孩子沉迷网络游戏怎么办", "网络游戏服务提供者应当落实防沉迷要求。", "script", ("online",)),
        passage("script-w", "孩子看病能报销吗", "困难家庭儿童参加城乡居民医疗保险的，按规定资助。", "script", ("basic_living",)),
        passage("script-v", "饭店雇童工怎么举报", "用人单位不得招用未满十六周岁的未成年人。", "script", ("labor",)),
    ])
    questions = {"script-x": ["爹被判刑关进去了 孩子没人带", "妈在监狱里 娃谁来照顾"],
                 "script-y": ["娃不念书了天天在家", "初中没读完就不去学校了"],
                 "script-z": ["娃天天抱着手机打王者", "半夜不睡觉玩手游"],
                 "script-w": ["娃住院花了好几万", "低保户孩子生病了钱不够"],
                 "script-v": ["邻居家孩子十四岁在餐馆刷碗", "小孩在厂里干活"]}
    return store, questions


def test_meaning_brings_a_passage_the_words_miss(small_kb):
    store, questions = small_kb
    query = "他爸蹲大狱了 学校管不管"  # its words: 学校 only (law#1, a question of script-y); its meaning: prison
    # the synonym table knows 大狱, so it is off: the meaning alone is tested; a pool of 3 of the 5 scripts
    words_only = RankingParams(expand=False, semantic_pool=3)
    with_meaning = [h.id for h in KnowledgeBase(store, words_only, questions=questions).search(query)]
    without = [h.id for h in KnowledgeBase(store, replace(words_only, semantic_weight=0.0), questions=questions).search(query)]
    assert without == ["script-y", "law#1"]
    assert with_meaning == ["script-y", "law#1", "script-x"]  # the gaming, medical and labour scripts stay out


def test_a_query_of_unknown_words_stays_empty_and_categories_still_filter(small_kb):
    store, questions = small_kb
    kb = KnowledgeBase(store, RankingParams(semantic_pool=3), questions=questions)
    assert kb.search("zzqxv") == [] and kb.search("量子计算机芯片") == []  # the second has features the encoder knows
    assert {h.id for h in kb.search("他爸蹲大狱了 学校管不管", category="education")} <= {"law#1", "script-y"}


def test_the_shipped_encoder_is_loaded_and_used():
    enc = shipped_encoder()
    assert enc is not None and enc.dims == 64
    kb = KnowledgeBase.from_content()
    index = kb.index()
    assert index.question_vectors.shape[0] > len(kb.questions)  # every similar question and script title
    meaning = index.semantic("爸爸坐牢了孩子没人管")
    assert meaning is not None and meaning.shape == (index.n,)
    assert index.ids[int(np.argmax(meaning))].startswith("script-")


def test_without_the_encoder_file_search_runs_on_words_alone(small_kb):
    store, questions = small_kb
    query = "他爸蹲大狱了 学校管不管"
    no_file = KnowledgeBase(store, RankingParams(expand=False, semantic_pool=3), questions=questions, encoder=None)
    assert no_file.index().semantic(query) is None
    words = KnowledgeBase(store, RankingParams(expand=False, semantic_weight=0.0), questions=questions)
    assert [h.id for h in no_file.search(query)] == [h.id for h in words.search(query)] == ["script-y", "law#1"]
