"""Triage classifier for the 12345 child-welfare hotline (jieba + scikit-learn + rules).

A plain library: no Flask, no database, never imports ``hotline``. Names are imported on first use
(PEP 562), so ``from classifier import ArtifactError`` or the rule layer never loads scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ArtifactError": "errors",
    "ModelCard": "artifacts",
    "load_classifier": "artifacts",
    "InputLineError": "cli_io",
    "read_items": "cli_io",
    "write_predictions": "cli_io",
    "LabelledItem": "data",
    "read_corpus": "data",
    "split": "data",
    "evaluate": "evaluation",
    "format_report": "evaluation",
    "Classifier": "model",
    "RuleFindings": "rules",
    "apply_rules": "rules",
    "route": "rules",
    "CONTRACT_FIELDS": "schema",
    "Item": "schema",
    "Prediction": "schema",
    "Taxonomy": "taxonomy",
    "load_taxonomy": "taxonomy",
    "train": "training",
}
__all__ = [
    "ArtifactError",
    "CONTRACT_FIELDS",
    "Classifier",
    "InputLineError",
    "Item",
    "LabelledItem",
    "ModelCard",
    "Prediction",
    "RuleFindings",
    "Taxonomy",
    "apply_rules",
    "evaluate",
    "format_report",
    "load_classifier",
    "load_taxonomy",
    "read_corpus",
    "read_items",
    "route",
    "split",
    "train",
    "write_predictions",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
