"""Ranking on the fixed corpus in tests/data/kb_fixture: BM25F, boosts, penalties, the store protocol."""

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge_base import (
    Bm25Params,
    CorpusStats,
    InMemoryStore,
    KnowledgeBase,
    PassageStore,
    StoredPassage,
    bm25f,
    is_eligibility_question,
)

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "data" / "kb_fixture"


def ids(hits):
    return [h.id for h in hits]


def test_howto_question_puts_the_script_first_then_its_law(fixture_kb):
    assert ids(fixture_kb.search("孩子打游戏上瘾", 2)) == ["script-002", "demo-child-law-2024#第五条"]


def test_eligibility_question_puts_the_cited_definition_first_then_the_script(fixture_kb):
    assert is_eligibility_question("父母都坐牢孩子算困境儿童吗")
    assert ids(fixture_kb.search("父母都坐牢孩子算困境儿童吗", 2)) == ["jilin-action-plan-2024#二(二)2", "script-001"]
    # the same facts without asking "does it count": the answer script first
    assert not is_eligibility_question("父母都坐牢")
    assert ids(fixture_kb.search("父母都坐牢", 2)) == ["script-001", "jilin-action-plan-2024#二(二)2"]


def test_superseded_text_ranks_below_the_current_one(fixture_kb):
    hits = {h.id: h for h in fixture_kb.search("留守儿童是指什么", 10)}
    order = list(hits)
    current, old = "demo-child-law-2024#第二条", "demo-child-law-2020#第二条"
    assert order.index(current) < order.index(old)
    assert hits[old].score < 0.6 * hits[current].score
    assert hits[old].superseded and not hits[current].superseded


def test_synonyms_find_passages_without_the_callers_words(fixture_kb, lexical_params):
    assert "jilin-action-plan-2024#二(二)2" in ids(fixture_kb.search("坐牢"))
    plain = KnowledgeBase.from_content(FIXTURE_DIR, params=replace(lexical_params, expand=False), questions={})
    assert ids(plain.search("坐牢")) == ["script-001"]  # only the script's tag says 坐牢


def test_directory_file_found_by_agency_name(fixture_kb):
    assert ids(fixture_kb.search("民政局管什么", 1)) == ["directory-civil_affairs"]


def test_category_filter(fixture_kb):
    hits = fixture_kb.search("儿童", 10, category="online_protection")
    assert hits and all("online_protection" in h.categories for h in hits)
    assert set(ids(hits)) == {"script-002", "demo-child-law-2024#第五条"}


def test_related_knowledge_for_a_ticket(fixture_kb):
    ticket = "家长来电称孩子天天打游戏到半夜，沉迷网络，管不住，希望有关部门处理。"
    hits = fixture_kb.related(ticket, category="online_protection", limit=3)
    assert ids(hits)[:2] == ["script-002", "demo-child-law-2024#第五条"]


def test_no_terms_no_hits(fixture_kb):
    assert fixture_kb.search("的了吗") == []
    assert fixture_kb.search("") == []


def _sp(pid, title, body, tags=()):
    return StoredPassage(id=pid, title=title, text=body, source="", type="law", tokens={"title": tuple(title.split()), "tags": tuple(tags), "body": tuple(body.split())})


def test_bm25f_title_weighs_more_than_body():
    a = _sp("a", "留守儿童 定义", "其他 内容 说明 文字")
    b = _sp("b", "其他 定义", "留守儿童 内容 说明 文字")
    stats = CorpusStats(n=10, avg_len={"title": 2.0, "tags": 0.0, "body": 4.0})
    dfs = {"留守儿童": 2}
    sa, ca = bm25f([("留守儿童", 1.0)], a, stats, dfs)
    sb, _ = bm25f([("留守儿童", 1.0)], b, stats, dfs)
    assert sa > sb > 0
    assert set(ca) == {"留守儿童"}
    # query weights scale the contribution linearly; unknown terms add nothing
    half, _ = bm25f([("留守儿童", 0.5), ("没有", 1.0)], a, stats, dfs)
    assert half == pytest.approx(sa / 2)
    flat, _ = bm25f([("留守儿童", 1.0)], a, stats, dfs, Bm25Params(field_weights={"title": 1.0, "tags": 1.0, "body": 1.0}))
    assert flat < sa


def test_in_memory_store_implements_the_protocol(fixture_kb):
    store = fixture_kb.store
    assert isinstance(store, PassageStore)
    entries = store.entries()
    assert [e.id for e in entries] == [p.id for p in store.all()]
    assert entries[0].tokens == store.all()[0].tokens
    assert [p.id for p in store.get(["script-001", "nope"])] == ["script-001"]
    assert fixture_kb.vocabulary()["留守儿童"] == 4


def test_the_ranking_index_scores_exactly_bm25f_for_every_passage(fixture_kb):
    """The precomputed matrix is BM25F itself, for every passage (not a preselection)."""
    store = fixture_kb.store
    stats = store.stats()
    terms = [("留守儿童", 1.0), ("网络游戏", 0.6), ("监护", 1.0), ("不存在的词", 1.0)]
    index = fixture_kb.index()
    dfs = {t: index.doc_freq(t) for t, _ in terms}
    lexical = fixture_kb.signals(terms).lexical
    for sp in store.all():
        expected, _ = bm25f(terms, sp, stats, dfs)
        assert lexical[index.row[sp.id]] == pytest.approx(expected)
    assert lexical.max() > 0


def test_stored_passage_row_round_trip(fixture_kb, lexical_params):
    sp = fixture_kb.store.get(["demo-child-law-2024#第三条"])[0]
    row = sp.to_row()
    assert isinstance(row["tokens_body"], str) and " " in row["tokens_body"]
    back = StoredPassage.from_row(row)
    assert back == sp and back.tokens == sp.tokens
    rebuilt = KnowledgeBase(InMemoryStore([StoredPassage.from_row(p.to_row()) for p in fixture_kb.store.all()]),
                            lexical_params, questions={})
    assert ids(rebuilt.search("父母都坐牢孩子算困境儿童吗")) == ids(fixture_kb.search("父母都坐牢孩子算困境儿童吗"))


def test_contract_shape(fixture_kb):
    item = fixture_kb.search("孩子打游戏上瘾", 1)[0].to_contract()
    assert list(item) == ["id", "title", "snippet", "text", "score", "source", "cites"]
    assert item["text"].startswith("# 孩子玩游戏上瘾怎么办？")
    assert "【" in item["snippet"] and "<" not in item["snippet"]
