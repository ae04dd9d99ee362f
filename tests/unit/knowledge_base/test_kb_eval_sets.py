"""The evaluation query sets stay well-formed: unique ids, expected ids that exist, facts found verbatim
(a query whose fact no passage holds could never be judged a hit)."""

from pathlib import Path

import pytest
import yaml

EVAL = Path(__file__).resolve().parents[3] / "knowledge_base" / "data" / "eval"


@pytest.mark.parametrize("name", sorted(p.stem for p in EVAL.glob("*.yaml")))  # every set, new ones too
def test_query_set_is_well_formed(name, content_passages):
    queries = yaml.safe_load((EVAL / f"{name}.yaml").read_text(encoding="utf-8"))["queries"]
    assert len(queries) >= 80
    assert len({q["id"] for q in queries}) == len(queries)
    assert len({q["query"] for q in queries}) == len(queries)
    texts = [p.text for p in content_passages.values()]
    for q in queries:
        assert q["expected"] and set(q["expected"]) <= set(content_passages), q["id"]
        assert 8 <= len(q["fact"]) <= 40 and any(q["fact"] in t for t in texts), q["id"]
