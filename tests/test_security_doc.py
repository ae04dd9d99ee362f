"""docs/security.md maps every checklist item to the tests that prove it: every id is there, and every test
it names exists (a renamed or deleted test breaks the map, not just the proof)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the checklist's ids (spec/security-checklist.md): 50 requirements and the 12 fault scenarios
CHECKLIST = (
    [f"AUTH-{i}" for i in range(1, 7)] + [f"SESS-{i}" for i in range(1, 6)] + [f"AC-{i}" for i in range(1, 6)]
    + [f"IN-{i}" for i in range(1, 6)] + [f"API-{i}" for i in range(1, 5)] + [f"CFG-{i}" for i in range(1, 5)]
    + [f"AUD-{i}" for i in range(1, 6)] + [f"PI-{i}" for i in range(1, 8)] + [f"INT-{i}" for i in range(1, 3)]
    + [f"REL-{i}" for i in range(1, 8)] + [f"F-{i}" for i in range(1, 13)]
)


def _rows() -> dict[str, str]:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| ([A-Z]+-\d+) \|(.*)$", text, re.M)}


def test_every_checklist_item_has_a_row():
    rows = _rows()
    assert sorted(set(CHECKLIST) - set(rows)) == []
    assert sorted(set(rows) - set(CHECKLIST)) == []


def test_every_named_test_exists():
    missing = []
    for item, row in _rows().items():
        tests_cell = row.rsplit("|", 2)[-2]
        for group in tests_cell.split(";"):
            names = re.findall(r"(tests/[\w/]+\.py)?::(\w+)", group)
            path = None
            for file, name in names:
                path = file or path
                source = (ROOT / path).read_text(encoding="utf-8") if path and (ROOT / path).is_file() else ""
                if not re.search(rf"^\s*(async )?def {name}\(", source, re.M):
                    missing.append(f"{item}: {path}::{name}")
    assert missing == []
