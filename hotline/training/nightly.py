"""The nightly retraining candidate (scheduled job ``retrain``).

Trains on the corpus (``settings.training_corpus``, default ``classifier/corpus``) plus the operators'
corrections, scores the candidate and the model in force on the same fixed held-out split, and promotes
the candidate only when no figure of the held-out summary drops by more than ``settings.retrain_tolerance``
and emergency recall does not drop at all. The decision goes into the candidate's model card
(``promotion``); rejected candidates stay in ``versions/`` (the newest few) so it can be read. One candidate
per Beijing night: the version is named ``nightly-YYYYMMDD``, and a second run that night finds it and
does nothing. Running processes pick a promoted model up by themselves (``Runtime.triage``).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.timeutil import SHANGHAI, iso_local
from hotline.training import versions

if TYPE_CHECKING:
    from hotline.scheduling.jobs import JobContext

log = logging.getLogger(__name__)

#: compared with no tolerance: the candidate's emergency recall must be at least the current model's
EMERGENCY_RECALL = "emergency_recall"
_EPS = 1e-9  # float noise when comparing a drop with the tolerance


def decide(current: dict[str, float] | None, candidate: dict[str, float], tolerance: float
           ) -> tuple[bool, list[dict[str, Any]], list[str]]:
    """(promote?, one comparison per figure, the reasons in words) for two held-out summaries
    (``classifier.evaluate(...)["summary"]``: per head macro F1 / accuracy, relevance F1, emergency and
    high-risk recall, emergency precision, place accuracy)."""
    if current is None:
        return True, [], ["没有可用的现行模型，候选模型直接启用"]
    figures: list[dict[str, Any]] = []
    why: list[str] = []
    for key in sorted(set(current) | set(candidate), key=lambda k: (k != EMERGENCY_RECALL, k)):
        old, new = current.get(key), candidate.get(key)
        allowed = 0.0 if key == EMERGENCY_RECALL else tolerance
        if new is None:
            ok = False
            why.append(f"{key}：候选模型没有该指标（现行 {old:.4f}）")
        elif old is None:
            ok = True
        elif key == EMERGENCY_RECALL:
            ok = new >= old
            if not ok:
                why.append(f"{key} 下降（{old:.4f} → {new:.4f}），紧急召回率不允许下降")
        else:
            ok = old - new <= tolerance + _EPS
            if not ok:
                why.append(f"{key} 下降 {old - new:.4f}（{old:.4f} → {new:.4f}），超过容差 {tolerance:g}")
        figures.append({"figure": key, "current": old, "candidate": new,
                        "change": None if old is None or new is None else round(new - old, 6),
                        "allowed_drop": allowed, "ok": ok})
    if not any(f["current"] is not None and f["candidate"] is not None for f in figures):
        return False, figures, ["留出集上没有可比较的指标，不启用"]
    if not why:
        why.append(f"各项指标下降均未超过容差 {tolerance:g}，紧急召回率未下降")
    return not any(not f["ok"] for f in figures), figures, why


def _corpus(settings: Any) -> list[Path]:
    if settings.training_corpus:
        return list(settings.training_corpus)
    import classifier

    return [Path(classifier.__file__).with_name("corpus")]


def _in_force(base: Path, taxonomy: Any) -> tuple[Any | None, dict[str, Any] | None, str | None]:
    """(classifier, identity, problem) of the model in force; (None, None, why) when there is none usable."""
    from classifier import ArtifactError, load_classifier
    from classifier.artifacts import resolve_artifact_dir

    if not versions.has_model(base):
        return None, None, None
    try:
        folder = resolve_artifact_dir(base)
        clf = load_classifier(folder, taxonomy=taxonomy)
    except ArtifactError as exc:
        log.warning("the model in force at %s is not usable (%s); the candidate replaces it", base, exc)
        return None, None, str(exc)
    identity = {"version": versions.pointer(base) or versions.IN_PLACE,
                "artifact_version": clf.card.get("artifact_version"), "path": str(folder)}
    return clf, identity, None


def _same_model(identity: dict[str, Any] | None, recorded: dict[str, Any] | None) -> bool:
    if identity is None or recorded is None:
        return identity is None and recorded is None
    return (identity["version"], identity["artifact_version"]) == (recorded.get("version"),
                                                                   recorded.get("artifact_version"))


def _finish(base: Path, name: str, taxonomy: Any) -> int:
    """Tonight's candidate exists already. If it was accepted but a crash stopped the swap, and the model
    it was compared with is still the one in force, finish the promotion; otherwise nothing. Returns 1
    when it promoted."""
    decision = versions.record(versions.versions_dir(base) / name)
    if not decision or decision.get("decision") != "promoted" or versions.pointer(base) == name:
        return 0
    _, identity, _ = _in_force(base, taxonomy)
    if not _same_model(identity, decision.get("compared_with")):
        return 0
    versions.promote(base, name)
    log.warning("finished the promotion of %s that an interrupted run left undone", name)
    return 1


def retrain(ctx: JobContext) -> dict[str, int]:
    """Train tonight's candidate, compare, record the decision in its card, promote when accepted."""
    from classifier import evaluate, load_classifier, read_corpus, split
    from classifier import train as train_model
    from hotline.tickets.corrections import collect_feedback

    runtime, settings = ctx.runtime, ctx.runtime.settings
    base = settings.artifact_path
    night = ctx.now.astimezone(SHANGHAI).date()
    name = f"nightly-{night:%Y%m%d}"
    with versions.lock(base, wait=False) as held:
        if not held:
            log.info("another training run holds %s; skipped", base)
            return {"retrained": 0, "promoted": 0}
        if (versions.versions_dir(base) / name).is_dir():
            return {"retrained": 0, "promoted": _finish(base, name, runtime.taxonomy)}
        versions.clear_staging(base)
        with runtime.db.transaction(readonly=True) as session:  # a short read; no transaction while training
            feedback = collect_feedback(session)
        paths = _corpus(settings)
        staging = versions.stage(base, name)
        try:
            started = time.perf_counter()
            card = train_model(paths, staging, feedback=feedback, taxonomy=runtime.taxonomy,
                               progress=lambda message: log.debug("%s", message))
            seconds = round(time.perf_counter() - started, 1)
            heldout = split(read_corpus(paths, runtime.taxonomy).items)[1]
            # the candidate as written (hash, taxonomy, library versions checked) and the model in force,
            # scored on the same held-out items
            candidate = evaluate(load_classifier(staging, taxonomy=runtime.taxonomy), heldout)["summary"]
            current_clf, identity, problem = _in_force(base, runtime.taxonomy)
            current = evaluate(current_clf, heldout)["summary"] if current_clf is not None else None
            del current_clf
            accepted, figures, why = decide(current, candidate, settings.retrain_tolerance)
            if problem:
                why.insert(0, f"现行模型不可用：{problem}")
            versions.write_record(staging, {
                "decision": "promoted" if accepted else "rejected",
                "by": "nightly",
                "night": night.isoformat(),
                "decided_at": iso_local(ctx.now),
                "tolerance": settings.retrain_tolerance,
                "rule": "每项留出集指标下降不超过容差；紧急召回率不得下降",
                "compared_with": identity,
                "heldout_items": len(heldout),
                "corrections": card.corrections_used,
                "training_seconds": seconds,
                "figures": figures,
                "why": why,
            })
            versions.seal(base, staging, name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if accepted:
            versions.promote(base, name)
        removed = versions.prune(base)
    log.info("nightly candidate %s %s (%s); %d old versions removed", name,
             "promoted" if accepted else "rejected", "; ".join(why), len(removed))
    return {"retrained": 1, "promoted": int(accepted)}
