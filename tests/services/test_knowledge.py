"""The knowledge base in the database: the same results as the library's in-memory store, idempotent
import, edits with history that the ranking index follows, cited passages in full."""

from datetime import date

import pytest
from sqlalchemy import func, select

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.knowledge import content as knowledge
from hotline.knowledge.models import KbArticle, KbPassage
from knowledge_base import InMemoryStore, KnowledgeBase, all_passages

ADMIN = Actor("user", "kb-admin", Role.ADMIN)
QUERIES = ["父母一方坐牢孩子算困境儿童吗", "孤儿一个月给多少钱", "孩子在网上被人要裸照咋整", "娃没户口能上学不",
           "村里管孩子的那个干部多久来一次", "家暴 人身安全保护令", "留守儿童 认定"]


@pytest.fixture(scope="module")
def articles():
    from hotline.taxonomy import get_taxonomy

    return knowledge.load_kb_content(get_taxonomy().categories)


def db_search(state, query, limit=5, category=None):
    return state.knowledge.search(query, limit=limit, category=category).hits


def test_acceptance_query_returns_the_plans_definition_first(state):
    hits = db_search(state, "父母一方坐牢孩子算困境儿童吗")
    assert hits[0].id == "jilin-action-plan-2024#二(二)3"
    assert set(hits[0].to_contract()) == {"id", "title", "snippet", "text", "score", "source", "cites"}


def test_a_script_hit_carries_the_passages_it_cites_in_full(state, articles):
    passages = {p.id: p for p in all_passages(articles)}
    hits = db_search(state, "父母一方坐牢孩子算困境儿童吗", limit=10)
    script = next(h for h in hits if h.type == "script")
    cites = script.to_contract()["cites"]
    assert [c["id"] for c in cites] == list(passages[script.id].cites) and cites
    for c in cites:
        assert c["text"] == passages[c["id"]].text and c["title"] == passages[c["id"]].title
    law = next(h for h in hits if h.type != "script")
    assert law.to_contract()["cites"] == []


def test_database_store_ranks_exactly_like_the_library(state, articles):
    memory = KnowledgeBase(InMemoryStore.from_passages(all_passages(articles)))
    for query in QUERIES:
        ours = [(h.id, round(h.score, 6)) for h in db_search(state, query, limit=10)]
        reference = [(h.id, round(h.score, 6)) for h in memory.search(query, limit=10)]
        assert ours == reference, query


def test_import_is_idempotent(state, articles):
    with state.db.transaction() as session:
        report = knowledge.import_articles(session, articles)
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert report.passages == len(all_passages(articles)) > 900


def test_typo_is_corrected_and_nonsense_gets_suggestions(state):
    result = state.knowledge.search("留示儿童 认定")
    assert result.corrected_query and "留守儿童" in result.corrected_query
    assert result.hits[0].id == "jilin-action-plan-2024#二(一)"


def add_ladybird_line(state, article_id: str) -> tuple[str, int]:
    """Edit ARTICLE_ID to mention 瓢虫 (a word in no other passage); returns its body and version before."""
    with state.db.transaction() as session:
        before = session.get(KbArticle, article_id)
        original_body, original_version = before.body, before.version
        edit = knowledge.ArticleEdit(before.title, tuple(before.categories), tuple(before.tags),
                                     date(2020, 1, 1), original_body + "\n补充：可拨打热线咨询瓢虫计划。", "测试编辑")
        knowledge.save_article(session, article_id, edit, ADMIN)
    return original_body, original_version


def test_edit_versions_restore_and_index_in_step(state):
    article_id = "script-002"
    original_body, original_version = add_ladybird_line(state, article_id)
    try:
        hits = db_search(state, "瓢虫")
        assert hits and hits[0].id == article_id  # the new word is searchable at once
        with state.db.transaction(readonly=True) as session:
            history = knowledge.versions(session, article_id)
            assert [v.version for v in history][:2] == [original_version + 1, original_version]
            assert history[0].author == "user:kb-admin"
            assert article_id in [a.id for a in knowledge.due_for_review(session, date(2026, 11, 29))]
    finally:
        with state.db.transaction() as session:
            restored = knowledge.restore_version(session, article_id, original_version, ADMIN)
            assert restored.body == original_body and restored.version == original_version + 2
    assert not [h for h in db_search(state, "瓢虫") if h.id == article_id]


def test_official_texts_cannot_be_rewritten(state):
    with state.db.transaction() as session:
        law = session.scalar(select(KbArticle).where(KbArticle.type == "law"))
        with pytest.raises(knowledge.InputError):
            knowledge.save_article(session, law.id, knowledge.ArticleEdit(law.title, (), (), None, "改写的条文"),
                                   ADMIN)
        session.rollback()


def test_only_admins_edit(state):
    with state.db.transaction() as session, pytest.raises(knowledge.Forbidden):
        article = session.get(KbArticle, "script-001")
        knowledge.save_article(session, "script-001",
                               knowledge.ArticleEdit(article.title, (), (), None, article.body),
                               Actor("user", "op", Role.OPERATOR))


def test_superseded_law_ranks_below_the_current_text(state):
    hits = db_search(state, "未成年人保护法 第九条", limit=10)
    ids = [h.id for h in hits]
    current = [i for i in ids if i.startswith("minors-protection-law-2024#")]
    old = [i for i in ids if i.startswith("minors-protection-law-2020#")]
    assert current and (not old or ids.index(current[0]) < ids.index(old[0]))


def test_passage_count_matches(state, articles):
    with state.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(KbPassage)) == len(all_passages(articles))


def test_a_stale_index_is_reanalysed_when_the_text_analysis_changes(state):
    """Tokens stored under another dictionary or segmenter would never match queries analysed today."""
    from hotline.knowledge.models import KbMeta
    from knowledge_base import analyze, index_fingerprint

    pid = "jilin-action-plan-2024#二(二)3"
    with state.db.transaction() as session:
        passage = session.get(KbPassage, pid)
        expected = " ".join(analyze(passage.text))
        passage.tokens_body = "过时 词语"  # as if indexed by an older analysis
        session.get(KbMeta, "analyzer").value = "0:stale"
    with state.db.transaction() as session:
        assert knowledge.reanalyze_if_needed(session) > 900
        assert session.get(KbPassage, pid).tokens_body == expected
        assert session.get(KbMeta, "analyzer").value == index_fingerprint()
        assert knowledge.reanalyze_if_needed(session) == 0  # current: nothing to do
    assert db_search(state, "父母一方坐牢孩子算困境儿童吗")[0].id == pid


def test_a_search_reads_the_content_generation_at_most_once_a_second_but_sees_its_own_edits_at_once(
        state, monkeypatch):
    """Another worker's edit (here: the generation bumped behind this process's back) is picked up once
    ``RECHECK_SECONDS`` have passed, not on every search; an edit committed by this process is seen at once."""
    from hotline.knowledge import store
    from hotline.knowledge.models import KbMeta

    clock = [store.time.monotonic() + 10]  # later than any check made before this test
    monkeypatch.setattr(store.time, "monotonic", lambda: clock[0])
    db_search(state, "瓢虫")
    checked = state.knowledge.store._generation
    with state.db.transaction() as session:  # what another process's import does, without this process knowing
        meta = session.get(KbMeta, "generation")
        meta.value = str(int(meta.value) + 1)
    db_search(state, "瓢虫")
    assert state.knowledge.store._generation == checked  # trusted for a second
    clock[0] += store.RECHECK_SECONDS + 0.1
    db_search(state, "瓢虫")
    assert state.knowledge.store._generation == str(int(checked) + 1)

    article_id = "script-002"
    original_body, original_version = add_ladybird_line(state, article_id)
    try:
        hits = db_search(state, "瓢虫")  # the clock has not moved: only the local edit makes it re-read
        assert hits and hits[0].id == article_id
    finally:
        with state.db.transaction() as session:
            knowledge.restore_version(session, article_id, original_version, ADMIN)
    assert not [h for h in db_search(state, "瓢虫") if h.id == article_id]
