"""Knowledge-base fixtures: the real content (built once per session) and the small fixed corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import KnowledgeBase, RankingParams, all_passages, load_articles

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "data" / "kb_fixture"
#: BM25F with synonyms, boosts and penalties alone (the shipped similar questions and the semantic signal belong to the real
#: content; the other signals have their own tests in test_kb_signals.py)
LEXICAL = RankingParams(question_weight=0.0, character_weight=0.0, semantic_weight=0.0)


@pytest.fixture(scope="session")
def content_articles():
    return load_articles()


@pytest.fixture(scope="session")
def content_passages(content_articles):
    return {p.id: p for p in all_passages(content_articles)}


@pytest.fixture(scope="session")
def kb(content_articles):
    from knowledge_base import InMemoryStore

    return KnowledgeBase(InMemoryStore.from_passages(all_passages(content_articles)))


@pytest.fixture(scope="session")
def fixture_articles():
    return load_articles(FIXTURE_DIR)


@pytest.fixture(scope="session")
def lexical_params():
    return LEXICAL


@pytest.fixture(scope="session")
def fixture_kb():
    return KnowledgeBase.from_content(FIXTURE_DIR, params=LEXICAL, questions={})
