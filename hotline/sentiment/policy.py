"""The sentiment policy (a data file, ``sentiment_policy.yaml``) and the rule for an event's risk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from classifier.yamlfile import parse_yaml

RISKS = ("low", "medium", "high")


class SentimentPolicyError(ValueError):
    """The sentiment policy file is unreadable or malformed."""


@dataclass(frozen=True)
class SentimentPolicy:
    raise_items: int = 8
    raise_reposts: int = 1000
    raise_items_per_hour: int = 4
    auto_open_leads: bool = False

    @classmethod
    def from_file(cls, path: Path) -> SentimentPolicy:
        try:
            raw = parse_yaml(path.read_text(encoding="utf-8")) or {}
            rules = raw.get("raise_risk") or {}
            return cls(int(rules.get("items", cls.raise_items)), int(rules.get("reposts", cls.raise_reposts)),
                       int(rules.get("items_per_hour", cls.raise_items_per_hour)), bool(raw.get("auto_open_leads")))
        except (OSError, yaml.YAMLError, TypeError, ValueError, AttributeError) as exc:
            raise SentimentPolicyError(f"cannot read sentiment policy {path}: {exc}") from exc

    def event_risk(self, item_risk: str | None, *, relevant: bool, items: int, reposts: int,
                   peak_per_hour: int) -> tuple[str, list[str]]:
        """An event's risk and why: the highest item risk, raised one level per spreading signal."""
        if not relevant:
            return "low", []
        level = RISKS.index(item_risk) if item_risk in RISKS else 1
        reasons = [f"条目最高风险：{('低', '中', '高')[level]}"]
        for holds, reason in ((items >= self.raise_items, f"条目数 {items} ≥ {self.raise_items}"),
                              (reposts >= self.raise_reposts, f"转发 {reposts} ≥ {self.raise_reposts}"),
                              (peak_per_hour >= self.raise_items_per_hour,
                               f"一小时内新增 {peak_per_hour} 条 ≥ {self.raise_items_per_hour}")):
            if holds and level < len(RISKS) - 1:
                level += 1
                reasons.append(reason)
        return RISKS[level], reasons
