"""IN-1 and IN-2 by reading the code: no user data is marked safe in templates or Python, and no SQL is built
by string formatting. A new exception must be added here, by file and reason, on purpose."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: (file, what) pairs that are safe by construction
MARKUP_ALLOWED = {("hotline/web/templating.py", "Markup(escaped")}  # highlight(): escaped first, then <mark>
SQL_FORMAT_ALLOWED = {
    ("hotline/db.py", 'f"PRAGMA busy_timeout={int(busy_seconds) * 1000}"'),  # an int from validated settings
    ("hotline/db.py", 'f"BEGIN {mode}"'),  # IMMEDIATE or DEFERRED, set by our own execution options
}


def _sources(*patterns: str):  # noqa: ANN202
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if "/migrations/versions/" not in str(path):
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_template_marks_anything_safe():
    found = [(name, m.group(0)) for name, source in _sources("templates/**/*.html")
             for m in re.finditer(r"\|\s*safe\b|autoescape\s+false|Markup\(", source)]
    assert found == []


def test_markup_in_python_only_after_escaping():
    found = {(name, source[m.start():m.start() + len("Markup(escaped")]) for name, source in _sources("hotline/**/*.py")
             for m in re.finditer(r"\bMarkup\(", source) if not source[:m.start()].rstrip().endswith("import")}
    assert found <= MARKUP_ALLOWED, found - MARKUP_ALLOWED


def test_no_sql_is_built_by_string_formatting():
    calls = r"\b(?:text|exec_driver_sql|execute)\(\s*(f\"[^\"]*\"|f'[^']*'|\"[^\"]*\"\s*%|'[^']*'\s*%|\"[^\"]*\"\.format\()"
    found = {(name, m.group(1).rstrip(" %(").removesuffix(".format")) for name, source in _sources("hotline/**/*.py")
             for m in re.finditer(calls, source)}
    assert found <= SQL_FORMAT_ALLOWED, found - SQL_FORMAT_ALLOWED


#: the browser's HTML sinks: our scripts build nodes and set textContent, never parse strings as markup
JS_SINKS = re.compile(r"\.(?:inner|outer)HTML\s*\+?=(?!=)|insertAdjacentHTML|document\.write|\beval\(|new Function\(|"
                      r"setAttribute\(\s*['\"]on|\.html\(|setTimeout\(\s*['\"]|srcdoc")


def test_no_script_parses_strings_as_html():
    found = [(name, m.group(0)) for name, source in _sources("hotline/static/js/*.js")
             for m in JS_SINKS.finditer(source)]
    assert found == []


def test_every_template_is_autoescaped_html(app):
    """Only .html templates (autoescaped by Flask), no template built from a string in Python."""
    others = [p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()
              and p.suffix != ".html"]
    assert others == []
    assert app.jinja_env.autoescape("page.html") is True
    found = [(name, m.group(0)) for name, source in _sources("hotline/**/*.py")
             for m in re.finditer(r"render_template_string|jinja2\.Environment\(|autoescape\s*=\s*False", source)]
    assert found == []
