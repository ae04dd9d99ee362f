"""docs/routing.md: every boundary rule's cases, checked one by one against the routing table."""

import re
from pathlib import Path

from classifier.rules import route

DOC = Path(__file__).resolve().parents[3] / "docs" / "routing.md"
ROW = re.compile(r"^\| (\d+)( ⚠)? \| (.+?) \| (\w+) \| (\w+) \|$")


def rows():
    return [m.groups() for line in DOC.read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))]


def test_every_boundary_rule_is_checked():
    assert {int(r[0]) for r in rows()} == set(range(1, 14))


def test_each_case_goes_to_the_agency_the_rule_intends():
    for rule, _, case, category, agency in rows():
        assert route(category, emergency=False)[0] == agency, (rule, case)


def test_an_emergency_always_reaches_public_security():
    for _, _, _, category, _ in rows():
        lead, co = route(category, emergency=True)
        assert "public_security" in (lead, *co)


def test_rules_marked_as_crossing_agencies_do_cross():
    by_rule: dict[str, set[str]] = {}
    for rule, _, _, _, agency in rows():
        by_rule.setdefault(rule, set()).add(agency)
    crossing = {rule for rule, agencies in by_rule.items() if len(agencies) > 1}
    marked = {r[0] for r in rows() if r[1]}
    assert crossing == marked
