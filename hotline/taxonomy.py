"""The app's view of the taxonomy: one load per process, through ``classifier.taxonomy``; and the code →
Chinese name mappings the input specs offer as choices."""

from __future__ import annotations

from classifier.taxonomy import Taxonomy, load_taxonomy

PROVINCE = "吉林省"


def get_taxonomy() -> Taxonomy:
    return load_taxonomy()


def category_names() -> dict[str, str]:
    return {code: c.name for code, c in get_taxonomy().categories.items()}


def kind_names() -> dict[str, str]:
    return dict(get_taxonomy().kinds)


def urgency_names() -> dict[str, str]:
    return dict(get_taxonomy().urgency)


def prefectures() -> dict[str, str]:
    return {p: p for p in get_taxonomy().regions}


def counties() -> dict[str, str]:
    return {c: c for counties in get_taxonomy().regions.values() for c in counties}


def prefecture_of(county: str) -> str | None:
    return get_taxonomy().prefecture_of(county)


__all__ = ["PROVINCE", "Taxonomy", "get_taxonomy"]
