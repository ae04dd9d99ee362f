"""Similar questions (相似问法): how callers ask for a passage, in their own words.

``data/similar_questions.yaml`` maps passage ids to questions.  They are written for answer scripts,
directory entries and the key policy passages by writers who never saw the evaluation queries
(``data/eval/DATASHEET.md``).  Like the synonym table they are read at query time (``ranker``), so a
reviewer's edit takes effect without re-importing any database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from classifier.yamlfile import parse_yaml

from .analysis import DATA_DIR

QUESTIONS_PATH = DATA_DIR / "similar_questions.yaml"


def load_questions(path: Path | str) -> dict[str, tuple[str, ...]]:
    data = parse_yaml(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, tuple[str, ...]] = {}
    for pid, questions in (data.get("questions") or {}).items():
        qs = tuple(dict.fromkeys(q.strip() for q in questions or () if isinstance(q, str) and q.strip()))
        if qs:
            out[str(pid)] = qs
    return out


@lru_cache(maxsize=1)
def similar_questions() -> Mapping[str, tuple[str, ...]]:
    """The shipped table ({} when the file is absent)."""
    return load_questions(QUESTIONS_PATH) if QUESTIONS_PATH.exists() else {}


def unknown_ids(questions: Mapping[str, Iterable[str]], passage_ids: Iterable[str]) -> list[str]:
    """Ids in the table that name no passage (a renamed script, a typo)."""
    known = set(passage_ids)
    return sorted(pid for pid in questions if pid not in known)
