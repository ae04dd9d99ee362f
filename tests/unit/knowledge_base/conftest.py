"""Knowledge-base fixtures: the real content (built once per session) and the small fixed corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import KnowledgeBase, all_passages, load_articles

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "data" / "kb_fixture"


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
def fixture_kb():
    return KnowledgeBase.from_content(FIXTURE_DIR)
