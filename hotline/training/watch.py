"""The triage model of a running process, swapped for a newly promoted one without a restart.

Every access compares the clock; at most every ``check_seconds`` it reads the model pointer and stats the
card in force (``versions.signature``). When that changed, a background thread loads the new model while
callers keep the old one, then swaps it in one assignment. A failed load keeps the old model and is logged
once per installed model. A triage set explicitly (tests) is never replaced. Importing this module loads
no model code (``hotline --help`` and the light commands stay fast).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hotline.tickets.triage import Triage

log = logging.getLogger(__name__)


class TriageHolder:
    #: look for a newly promoted model at most this often (seconds)
    check_seconds: float = 30.0

    def __init__(self, artifact_path: Path, taxonomy: Any) -> None:
        self.artifact_path = artifact_path
        self.taxonomy = taxonomy
        self._triage: Triage | None = None
        self._fixed = False
        self._seen: tuple | None = None  # signature of the installed model when last loaded
        self._failed: tuple | None = None  # signature of an installed model that failed to load
        self._next_check = 0.0
        self.loading = False
        self._lock = threading.Lock()
        self._check = threading.Lock()

    def get(self) -> Triage:
        if self._triage is None:
            with self._lock:
                if self._triage is None:
                    from hotline.tickets.triage import load_triage
                    from hotline.training.versions import signature

                    self._seen = signature(self.artifact_path)
                    self._next_check = time.monotonic() + self.check_seconds
                    self._triage = load_triage(self._installed_dir(), self.taxonomy)
        elif not self._fixed and time.monotonic() >= self._next_check:
            self._look()
        return self._triage

    def set(self, value: Triage) -> None:
        with self._lock:
            self._triage = value
            self._fixed = value is not None

    def _installed_dir(self) -> Path:
        """The folder of the model in force (the pointer resolved once); a broken pointer yields a folder
        without a model, so ``load_triage`` falls back to rules."""
        from classifier.artifacts import resolve_artifact_dir

        try:
            return resolve_artifact_dir(self.artifact_path)
        except Exception:
            log.exception("model pointer in %s unusable", self.artifact_path)
            return self.artifact_path / "versions" / ".missing"

    def _look(self) -> None:
        from hotline.training.versions import signature

        if not self._check.acquire(blocking=False):
            return  # another caller is looking
        try:
            self._next_check = time.monotonic() + self.check_seconds
            seen = signature(self.artifact_path)
            if self.loading or seen in (self._seen, self._failed):
                return
            self.loading = True
        finally:
            self._check.release()
        threading.Thread(target=self._reload, args=(seen,), name="hotline-model-reload", daemon=True).start()

    def _reload(self, seen: tuple) -> None:
        from classifier import load_classifier
        from hotline.tickets.triage import ClassifierTriage

        try:
            triage = ClassifierTriage(load_classifier(self.artifact_path, taxonomy=self.taxonomy), self.taxonomy)
        except Exception:
            self._failed = seen
            log.exception("the model installed at %s could not be loaded; the previous model stays in use",
                          self.artifact_path)
        else:
            with self._lock:
                if not self._fixed:
                    self._triage = triage
                self._seen = seen
            log.info("model %s loaded from %s", triage.classifier.card.get("artifact_version"), self.artifact_path)
        finally:
            self.loading = False
