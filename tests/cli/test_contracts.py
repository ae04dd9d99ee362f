"""The command-line contracts of DESIGN.md, checked on the installed `hotline` against a fresh instance
(SQLite, a model trained on the small fixture): field names, types, codes and place names from the
project's taxonomy. Nothing outside this repository is needed; CI additionally runs the team's shared
contract checker when it is available (see .ci/run)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.taxonomy import load_taxonomy

HOTLINE = str(Path(sys.executable).with_name("hotline"))
ITEMS = [
    {"id": "a1", "text": "来电人反映，农安县某村一个7岁孩子父母都在外地打工，爷爷住院了，孩子一个人在家两天没吃饭。", "type": "ticket"},
    {"id": "a2", "text": "想咨询一下孤儿基本生活费每个月多少钱，怎么申请？", "type": "ticket"},
    {"id": "a3", "text": "#吉林身边事# 转发：延吉一小学门口有人发传单，说是免费领玩具。", "title": "校门口发传单", "type": "sentiment"},
    {"id": "a4", "text": "今天小区停暖了，什么时候能恢复？"},
]
FIELDS = ["id", "category", "kind", "urgency", "agency", "co_agencies", "prefecture", "county", "relevant",
          "polarity", "risk", "confidence", "needs_review"]


@pytest.fixture(scope="module")
def hotline(tmp_path_factory, fixture_model_dir):
    instance = tmp_path_factory.mktemp("contracts")
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(instance), "HOTLINE_MODEL_PATH": str(fixture_model_dir)}
    env.pop("HOTLINE_DATABASE_URL", None)

    def run(*args: str, stdin: str | None = None) -> str:
        proc = subprocess.run([HOTLINE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, (args, proc.stderr)
        return proc.stdout

    run("init")
    return run


def test_classify(hotline):
    tax = load_taxonomy()
    counties = {c: p for p, cs in tax.regions.items() for c in cs}
    rows = [json.loads(line) for line in hotline("classify", "-", stdin="".join(
        json.dumps(i, ensure_ascii=False) + "\n" for i in ITEMS)).splitlines() if line.strip()]
    assert [r["id"] for r in rows] == [i["id"] for i in ITEMS]  # one line per input, same order
    for item, row in zip(ITEMS, rows, strict=True):
        assert list(row) == FIELDS or set(row) >= set(FIELDS)
        assert row["category"] in tax.categories and row["agency"] in tax.agencies
        assert all(a in tax.agencies for a in row["co_agencies"])
        assert row["prefecture"] is None or row["prefecture"] in tax.regions
        assert row["county"] is None or counties[row["county"]] == row["prefecture"]
        assert isinstance(row["confidence"], int | float) and 0 <= row["confidence"] <= 1
        assert isinstance(row["needs_review"], bool)
        if item.get("type", "ticket") == "ticket":
            assert row["kind"] in tax.kinds and row["urgency"] in tax.urgency
            assert row["relevant"] is None and row["polarity"] is None and row["risk"] is None
        else:
            assert isinstance(row["relevant"], bool)
            assert row["polarity"] in ("negative", "neutral", "positive") and row["risk"] in ("high", "medium", "low")
        if row["urgency"] == "emergency":
            assert "public_security" in [row["agency"], *row["co_agencies"]]
    assert rows[0]["county"] == "农安县" and rows[0]["prefecture"] == "长春市"


def test_kb_search(hotline):
    hits = json.loads(hotline("kb", "search", "留守儿童 认定", "--limit", "3", "--json"))
    assert isinstance(hits, list) and 0 < len(hits) <= 3
    for hit in hits:
        assert {"id", "title", "snippet", "text", "score", "source", "cites"} <= set(hit)
        assert isinstance(hit["score"], int | float) and hit["text"]
        assert all(set(c) == {"id", "title", "text"} and c["text"] for c in hit["cites"])
    scripts = json.loads(hotline("kb", "search", "父母一方坐牢孩子算困境儿童吗", "--limit", "10", "--json"))
    cited = [h for h in scripts if h["id"].startswith("script-")]
    assert cited and all(h["cites"] for h in cited)  # every answer script rests on passages
    assert all(not h["cites"] for h in scripts if "#" in h["id"])  # a law passage cites nothing


def test_sla(hotline):
    out = json.loads(hotline("sla", "--from", "2026-06-01T09:00:00+08:00", "--urgency", "normal", "--kind", "complaint"))
    assert set(out) == {"sign", "first_feedback", "resolve"}
    assert out["sign"].endswith("+08:00") and out["first_feedback"] is None


def test_user_and_token(hotline):
    assert "已创建用户" in hotline("user", "create", "--username", "c.user", "--role", "agency_staff",
                                "--unit", "civil_affairs:长春市/朝阳区", "--password-stdin", stdin="Contract-Passw0rd\n")
    token = hotline("token", "create", "--name", "c-token", "--role", "agency_staff", "--unit", "public_security:吉林省")
    assert token.strip().startswith("hl_") and len(token.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["init", "serve", "train", "evaluate"])
def test_the_other_commands_exist(hotline, command):
    assert "Usage" in hotline(command, "--help")


def test_no_test_reaches_outside_the_repository():
    """A user's clone has only the repository: no test may read the team's shared folder beside it."""
    relative, absolute = "/".join(("..", "shared")), "/".join(("", "work", "shared"))
    tests = Path(__file__).resolve().parents[1]
    assert [p.name for p in tests.rglob("*.py")
            if relative in (text := p.read_text(encoding="utf-8")) or absolute in text] == []
