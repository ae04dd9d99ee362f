"""The project's own rules: the test command covers both databases, and the dependency rules between
packages hold (the libraries stay libraries; the command line and the package import loop-free)."""

import ast
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_test_runs_a_pass_on_sqlite_even_when_ci_names_postgresql():
    env = {**os.environ, "HOTLINE_TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test"}
    recipe = subprocess.run(["make", "-n", "-s", "test"], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True).stdout
    runs = [line.strip() for line in recipe.splitlines() if "-m pytest" in line]
    sqlite = [run for run in runs if run.startswith("HOTLINE_TEST_DATABASE_URL= ")]  # forced, whatever CI says
    assert sqlite and len(runs) > len(sqlite), runs  # and a pass that keeps CI's PostgreSQL
    assert '[ -z "$HOTLINE_TEST_DATABASE_URL" ]' in recipe  # which runs only when it is set
    assert "[ $sqlite -eq 0 ] && [ $pg -eq 0 ]" in recipe  # and either pass failing fails the target


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level modules each file of ``package`` imports (absolute imports only)."""
    out = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


def test_the_libraries_never_import_the_app_flask_or_the_database():
    for package in ("classifier", "knowledge_base"):
        for path, names in _imports(package).items():
            assert not names & {"hotline", "flask", "sqlalchemy", "werkzeug"}, path


def test_one_segmenter_setup():
    """jieba / rjieba are set up in one place: classifier/text.py."""
    users = sorted(path for package in ("classifier", "knowledge_base", "hotline")
                   for path, names in _imports(package).items() if names & {"jieba", "rjieba"})
    assert users == ["classifier/text.py"]


def test_only_the_web_layer_knows_flask():
    for path, names in _imports("hotline").items():
        if not (path.startswith("hotline/web/") or path in ("hotline/app.py", "hotline/__init__.py")):
            assert "flask" not in names, path
