"""Triage classifier for the 12345 child-welfare hotline (jieba + scikit-learn + rules).

A plain library: no Flask, no database, never imports ``hotline``.
"""

from .artifacts import ArtifactError, ModelCard, load_classifier
from .cli_io import InputLineError, read_items, write_predictions
from .data import LabelledItem, read_corpus, split
from .evaluate import evaluate, format_report
from .model import Classifier
from .rules import RuleFindings, apply_rules, route
from .schema import CONTRACT_FIELDS, Item, Prediction
from .taxonomy import Taxonomy, load_taxonomy
from .train import train

__all__ = [
    "CONTRACT_FIELDS",
    "ArtifactError",
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
