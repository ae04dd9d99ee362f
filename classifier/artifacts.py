"""Model artifacts: ``model.joblib`` (the fitted pipelines) + ``model.json`` (the model card).

A model directory either holds these two files itself, or is *managed*: it holds versions in
``versions/<name>/`` and a one-line ``CURRENT`` file naming the version in force (replaced atomically by
whoever promotes a version). :func:`resolve_artifact_dir` turns either into the directory to read.

Pickle/joblib files execute code when loaded: load only artifacts this project wrote, from the
instance folder.  Loading refuses an artifact whose format version, taxonomy hash or scikit-learn
version (major.minor) differ from the running code, or whose pickle does not match the hash in the
card, with one message that tells the operator what to do.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import joblib
import numpy
import sklearn

from .errors import ArtifactError
from .model import Classifier, Settings
from .taxonomy import Taxonomy, load_taxonomy
from .text import backend

ARTIFACT_FORMAT = 1
MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
MISMATCH_MESSAGE = "模型文件与当前分类体系或库版本不一致，请运行 hotline train"
#: in a managed model directory: the file naming the version in force, and the folder of versions
POINTER_FILE = "CURRENT"
VERSIONS_DIR = "versions"


def library_versions() -> dict[str, str]:
    versions = {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "jieba": importlib.metadata.version("jieba"),
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
        "segmenter": backend(),
    }
    if versions["segmenter"] == "rjieba":
        versions["rjieba"] = importlib.metadata.version("rjieba")
    return versions


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@dataclass
class ModelCard:
    """What was trained, on what, with which code, and how well it did on the held-out split."""

    artifact_version: str
    created_at: str
    format_version: int = ARTIFACT_FORMAT
    versions: dict = field(default_factory=library_versions)
    taxonomy_sha256: str = ""
    data_sha256: str = ""
    data_files: list = field(default_factory=list)
    seed: int = 42
    counts: dict = field(default_factory=dict)
    corrections_used: int = 0
    params: dict = field(default_factory=dict)
    cv: dict = field(default_factory=dict)
    heldout: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    model_sha256: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelCard:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write(path: Path, writer) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the web app may run as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_artifact(classifier: Classifier, out_dir: str | Path, card: ModelCard) -> ModelCard:
    """Write ``model.joblib`` then ``model.json`` (each atomically) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": ARTIFACT_FORMAT,
        "heads": classifier.pipelines,
        "settings": asdict(classifier.settings),
    }
    model_path = out / MODEL_FILE
    _atomic_write(model_path, lambda tmp: joblib.dump(payload, tmp, compress=3))
    card.model_sha256 = _sha256_file(model_path)
    card.settings = asdict(classifier.settings)
    text = json.dumps(card.to_dict(), ensure_ascii=False, indent=2, default=str)
    _atomic_write(out / CARD_FILE, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return card


def resolve_artifact_dir(artifact_dir: str | Path) -> Path:
    """The directory holding the model in force: ``versions/<name>`` when ``artifact_dir`` has a
    ``CURRENT`` pointer, else ``artifact_dir`` itself.  Read once per load, so a pointer swapped during a
    load never mixes two versions' files."""
    base = Path(artifact_dir)
    try:
        name = (base / POINTER_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return base
    except OSError as exc:
        raise ArtifactError(f"无法读取模型指针 {base / POINTER_FILE}（{exc}）") from exc
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ArtifactError(f"模型指针 {base / POINTER_FILE} 内容无效，请运行 hotline train")
    target = base / VERSIONS_DIR / name
    if not target.is_dir():
        raise ArtifactError(f"模型指针指向的版本 {target} 不存在，请运行 hotline train")
    return target


def read_card(artifact_dir: str | Path) -> ModelCard:
    path = resolve_artifact_dir(artifact_dir) / CARD_FILE
    if not path.is_file():
        raise ArtifactError(f"找不到模型文件 {path}，请运行 hotline train")
    try:
        return ModelCard.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ArtifactError(f"模型说明文件 {path} 已损坏（{exc}），请运行 hotline train") from exc


def check_card(card: ModelCard, taxonomy: Taxonomy) -> None:
    """Raise ArtifactError unless the card matches this code, libraries and taxonomy."""
    problems = []
    if card.format_version != ARTIFACT_FORMAT:
        problems.append(f"artifact format {card.format_version} != {ARTIFACT_FORMAT}")
    if card.taxonomy_sha256 != taxonomy.sha256:
        problems.append("taxonomy hash differs")
    trained = _major_minor(str(card.versions.get("sklearn", "")))
    if trained != _major_minor(sklearn.__version__):
        problems.append(f"scikit-learn {trained} != {_major_minor(sklearn.__version__)}")
    if problems:
        raise ArtifactError(f"{MISMATCH_MESSAGE}（{'; '.join(problems)}）")


def load_classifier(artifact_dir: str | Path, *, taxonomy: Taxonomy | None = None) -> Classifier:
    """Load a trained classifier from a trusted artifact directory (see module docstring)."""
    tax = taxonomy or load_taxonomy()
    artifact_dir = resolve_artifact_dir(artifact_dir)
    card = read_card(artifact_dir)
    check_card(card, tax)
    model_path = Path(artifact_dir) / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactError(f"找不到模型文件 {model_path}，请运行 hotline train")
    if card.model_sha256 and _sha256_file(model_path) != card.model_sha256:
        raise ArtifactError(f"模型文件 {model_path} 与说明文件不符或已损坏，请运行 hotline train")
    try:
        payload = joblib.load(model_path)
    except Exception as exc:  # unpickling can fail in many ways
        raise ArtifactError(f"模型文件 {model_path} 无法读取（{exc}），请运行 hotline train") from exc
    if not isinstance(payload, dict) or payload.get("format_version") != ARTIFACT_FORMAT:
        raise ArtifactError(MISMATCH_MESSAGE)
    settings = Settings(**payload.get("settings", {}))
    try:
        return Classifier(payload["heads"], taxonomy=tax, settings=settings, card=card.to_dict())
    except (KeyError, ValueError, AttributeError) as exc:
        raise ArtifactError(f"模型文件 {model_path} 内容不完整（{exc}），请运行 hotline train") from exc
