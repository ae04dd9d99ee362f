"""The app's view of the taxonomy: one load per process, through ``classifier.taxonomy``."""

from __future__ import annotations

from classifier.taxonomy import Taxonomy, load_taxonomy

PROVINCE = "吉林省"


def get_taxonomy() -> Taxonomy:
    return load_taxonomy()


__all__ = ["PROVINCE", "Taxonomy", "get_taxonomy"]
