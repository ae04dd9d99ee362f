"""The triage taxonomy (categories, kinds, urgency, agencies, regions) as frozen data.

The project's own copy of ``spec/taxonomy.yaml`` lives in ``classifier/data/taxonomy.yaml``; both the
classifier and the web application read it through :func:`load_taxonomy`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from classifier.yamlfile import parse_yaml

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("data") / "taxonomy.yaml"


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    lead: str
    co: tuple[str, ...]
    covers: str


@dataclass(frozen=True)
class Taxonomy:
    kinds: dict[str, str]
    urgency: dict[str, str]
    agencies: dict[str, str]
    categories: dict[str, Category]
    #: prefecture name -> county names, in the taxonomy's order
    regions: dict[str, tuple[str, ...]]
    sha256: str
    county_to_prefecture: dict[str, str] = field(default_factory=dict)

    def prefecture_of(self, county: str) -> str | None:
        return self.county_to_prefecture.get(county)

    def is_place(self, prefecture: str, county: str | None = None) -> bool:
        if prefecture not in self.regions:
            return False
        return county is None or county in self.regions[prefecture]


class TaxonomyError(ValueError):
    """The taxonomy file is missing or inconsistent."""


def parse_taxonomy(raw: bytes) -> Taxonomy:
    data = parse_yaml(raw)
    try:
        agencies = {str(k): str(v) for k, v in data["agencies"].items()}
        categories = {
            code: Category(
                code, c["name"], c["lead"], tuple(c.get("co") or ()), " ".join(str(c["covers"]).split())
            )
            for code, c in data["categories"].items()
        }
        regions = {p: tuple(cs) for p, cs in data["regions"].items()}
        kinds = {str(k): str(v) for k, v in data["kinds"].items()}
        urgency = {str(k): str(v) for k, v in data["urgency"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise TaxonomyError(f"taxonomy is missing a section or field: {exc}") from exc
    for cat in categories.values():
        unknown = [a for a in (cat.lead, *cat.co) if a not in agencies]
        if unknown:
            raise TaxonomyError(f"category {cat.code} names unknown agencies {unknown}")
    county_to_prefecture: dict[str, str] = {}
    for prefecture, counties in regions.items():
        for county in counties:
            if county in county_to_prefecture:
                raise TaxonomyError(f"county {county} appears under two prefectures")
            county_to_prefecture[county] = prefecture
    return Taxonomy(
        kinds=kinds,
        urgency=urgency,
        agencies=agencies,
        categories=categories,
        regions=regions,
        sha256=hashlib.sha256(raw).hexdigest(),
        county_to_prefecture=county_to_prefecture,
    )


@lru_cache(maxsize=4)
def load_taxonomy(path: str | Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    """Load and validate a taxonomy file (cached per path)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"cannot read taxonomy {path}: {exc}") from exc
    return parse_taxonomy(raw)
