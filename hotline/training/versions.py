"""The managed model directory (``settings.artifact_path``: ``instance/model`` or HOTLINE_MODEL_PATH)::

    model/
      CURRENT                       one line: the name of the version in force (replaced atomically)
      versions/<name>/              model.joblib + model.json of one trained model; never changed once named
      versions/.tmp-<label>-<rand>/ a model being written: never pointed at, removed by the next run
      versions/.lock                held while a version is written (nightly job, ``hotline train``)
      model.joblib, model.json      a model `hotline train` wrote in place: in force only while there is no CURRENT

A version is written under a temporary name, flushed to disk, renamed to its final name (atomic) and only
then named in ``CURRENT`` (temp file + fsync + os.replace). A reader resolves the pointer once per load
(``classifier.artifacts.resolve_artifact_dir``), so it never sees a half-written model, and a crash at any
point leaves the previous model in force.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from classifier.artifacts import CARD_FILE, MODEL_FILE, POINTER_FILE, VERSIONS_DIR

log = logging.getLogger(__name__)

#: versions kept besides the one in force (rejected candidates included, so their cards stay inspectable)
KEEP = 5
#: how the version in force is named when it is a model written in place (no CURRENT yet)
IN_PLACE = "(in place)"
_STAGING = ".tmp-"


def versions_dir(base: Path) -> Path:
    return Path(base) / VERSIONS_DIR


def pointer(base: Path) -> str | None:
    """The version named in CURRENT, or None when the directory is not managed (yet)."""
    try:
        return (Path(base) / POINTER_FILE).read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def has_model(base: Path) -> bool:
    """A model is installed (it may still be refused when loaded)."""
    return (Path(base) / POINTER_FILE).exists() or (Path(base) / MODEL_FILE).exists()


def signature(base: Path) -> tuple:
    """What identifies the installed model, cheaply (one small read, one stat): the pointer and the
    identity of the card in force. It changes when a version is promoted or a model is rewritten in place
    (the card is written last)."""
    name = pointer(base)
    folder = versions_dir(base) / name if name else Path(base)
    try:
        st = (folder / CARD_FILE).stat()
    except OSError:
        return (name, None)
    return (name, st.st_ino, st.st_mtime_ns, st.st_size)


@contextmanager
def lock(base: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive lock on the versions folder; yields False when ``wait`` is off and someone holds it."""
    import fcntl

    folder = versions_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def stage(base: Path, label: str) -> Path:
    """A fresh temporary folder to write a version into (call under :func:`lock`)."""
    folder = versions_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING}{label}-", dir=folder))
    os.chmod(staging, 0o755)  # noqa: S103  mkdtemp makes 0700; the web app may run as another user
    return staging


def clear_staging(base: Path) -> None:
    """Remove what crashed runs left half-written (call under :func:`lock`)."""
    folder = versions_dir(base)
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_dir() and entry.name.startswith(_STAGING):
                shutil.rmtree(entry, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def seal(base: Path, staging: Path, name: str) -> Path:
    """Flush a written version to disk and give it its final name (one atomic rename)."""
    target = versions_dir(base) / name
    if target.exists():
        raise FileExistsError(f"模型版本 {target} 已存在")
    for file in staging.iterdir():
        _fsync(file)
    _fsync(staging)
    os.rename(staging, target)
    _fsync(target.parent)
    return target


def promote(base: Path, name: str) -> None:
    """Put version ``name`` in force: CURRENT is replaced atomically; readers see the old or the new name."""
    base = Path(base)
    if not (versions_dir(base) / name / MODEL_FILE).is_file():
        raise FileNotFoundError(f"模型版本 {name} 不存在或不完整")
    fd, tmp = tempfile.mkstemp(dir=base, prefix=f".{POINTER_FILE}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, base / POINTER_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync(base)
    log.info("model version %s promoted in %s", name, base)


def read_card_data(folder: Path) -> dict[str, Any]:
    """The model card of a version as stored (including the promotion record); {} when unreadable."""
    try:
        data = json.loads((Path(folder) / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(folder: Path) -> dict[str, Any] | None:
    """The promotion decision written into a version's card, or None."""
    value = read_card_data(folder).get("promotion")
    return value if isinstance(value, dict) else None


def write_record(folder: Path, decision: dict[str, Any]) -> None:
    """Add the promotion decision to a version's card (``promotion``), atomically."""
    path = Path(folder) / CARD_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["promotion"] = decision
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prune(base: Path, keep: int | None = None) -> list[str]:
    """Delete all but the ``keep`` (default :data:`KEEP`) newest versions (by the card's creation time);
    the one in force always stays."""
    keep = KEEP if keep is None else keep
    folder = versions_dir(base)
    if not folder.is_dir():
        return []
    current = pointer(base)
    named = [d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")]
    named.sort(key=lambda d: (str(read_card_data(d).get("created_at") or ""), d.name), reverse=True)
    removed = []
    for old in named[keep:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


def install(base: Path, write: Callable[[Path], Any], *, decided_by: str, when: str) -> Any:
    """Write a model with ``write(folder)`` (returns its ModelCard) as a new version and put it in force
    unconditionally: ``hotline train`` into a managed directory. Returns what ``write`` returned."""
    with lock(base, wait=True):
        staging = stage(base, "manual")
        try:
            card = write(staging)
            write_record(staging, {"decision": "promoted", "by": decided_by, "decided_at": when,
                                   "compared_with": None, "figures": [], "why": ["人工训练，直接启用"]})
            name = f"manual-{card.artifact_version}"
            seal(base, staging, name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        promote(base, name)
        prune(base)
    return card
