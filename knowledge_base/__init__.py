"""Knowledge-base search for the 12345 child-welfare hotline (pure library: no Flask, no database).

    from knowledge_base import KnowledgeBase
    kb = KnowledgeBase.from_content()                 # in-memory store over knowledge_base/content
    hits = kb.search("父母一方坐牢孩子算困境儿童吗", limit=5)
    [h.to_contract() for h in hits]                   # the `hotline kb search --json` items

A database-backed store implements ``PassageStore`` (see ``knowledge_base.index``) and is passed to
``KnowledgeBase(store)``; ranking is done here, identically for every store.
"""

from .analysis import analyze, expand_query, index_fingerprint, normalize
from .index import (
    Bm25Params,
    CorpusStats,
    InMemoryStore,
    PassageStore,
    PassageTerms,
    StoredPassage,
    bm25f,
    index_passage,
    index_passages,
    reanalyze,
)
from .search import Cited, Hit, KnowledgeBase, RankingParams, SearchResult, is_eligibility_question
from .snippets import Snippet, make_snippet
from .sources import (
    DEFAULT_CONTENT_DIR,
    Article,
    Passage,
    all_passages,
    load_articles,
    load_sources,
    parse_source_file,
    validate,
)

__all__ = [
    "DEFAULT_CONTENT_DIR",
    "Article",
    "Bm25Params",
    "Cited",
    "CorpusStats",
    "Hit",
    "InMemoryStore",
    "KnowledgeBase",
    "Passage",
    "PassageStore",
    "PassageTerms",
    "RankingParams",
    "SearchResult",
    "Snippet",
    "StoredPassage",
    "all_passages",
    "analyze",
    "bm25f",
    "expand_query",
    "index_fingerprint",
    "index_passage",
    "index_passages",
    "is_eligibility_question",
    "load_articles",
    "load_sources",
    "make_snippet",
    "normalize",
    "parse_source_file",
    "reanalyze",
    "validate",
]
