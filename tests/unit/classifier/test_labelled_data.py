"""The shipped labelled data: the training corpus and every evaluation set under bench/data/triage_*.

Each file was written by a different helper; these checks keep a new file from landing with a label the
taxonomy does not know, an id another file already uses, or a text that is also in the corpus (an evaluation
set that leaks into training scores the model on what it learned by heart)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from classifier import read_corpus, route

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "classifier" / "corpus"
EVALUATION_SETS = sorted(p for p in (ROOT / "bench" / "data").glob("triage_*") if p.is_dir())
ALL_SETS = [CORPUS, *EVALUATION_SETS]


def _lines(folder: Path) -> int:
    return sum(1 for f in folder.glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines() if line.strip())


def test_the_evaluation_sets_are_found() -> None:
    names = {p.name for p in EVALUATION_SETS}
    assert {"triage_blind2", "triage_blind5", "triage_dev7", "triage_adversarial"} <= names


@pytest.mark.parametrize("folder", ALL_SETS, ids=lambda p: p.name)
def test_every_line_is_read_with_known_labels(folder: Path) -> None:
    corpus = read_corpus([folder])
    assert corpus.problems == []
    assert len(corpus.items) == _lines(folder)


@pytest.mark.parametrize("folder", ALL_SETS, ids=lambda p: p.name)
def test_labels_follow_the_taxonomy_rules(folder: Path) -> None:
    for li in read_corpus([folder]).items:
        labels = li.labels
        if li.item.type == "ticket" and labels["category"] == "other":
            assert labels["urgency"] == "normal", li.item.id  # boundary rule 12
        if li.item.type == "sentiment" and labels["relevant"] is False:
            assert (labels["category"], labels["risk"]) == ("other", "low"), li.item.id
        if "agency" in labels:  # every writer labelled the lead agency of the category
            assert labels["agency"] == route(labels["category"], emergency=False)[0], li.item.id


def test_ids_are_unique_across_all_files() -> None:
    ids = Counter(li.item.id for folder in ALL_SETS for li in read_corpus([folder]).items)
    assert [i for i, n in ids.items() if n > 1] == []


def test_no_evaluation_text_is_in_the_training_corpus() -> None:
    def texts(folder: Path) -> set[str]:
        return {json.loads(line)["text"].strip() for f in folder.glob("*.jsonl")
                for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}

    training = texts(CORPUS)
    for folder in EVALUATION_SETS:
        assert texts(folder) & training == set(), folder.name
