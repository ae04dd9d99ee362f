"""The web process caps glibc's malloc arenas (a flat resident size under load), unless the operator set
MALLOC_ARENA_MAX themselves."""

import os
import subprocess
import sys

import pytest

CALL = "from hotline.memory import limit_malloc_arenas; print(limit_malloc_arenas())"


def _run(env: dict) -> str:
    return subprocess.run([sys.executable, "-c", CALL], env=env, capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_arena_cap_is_set_on_glibc():
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _run(env) == "True"


def test_an_operators_malloc_arena_max_wins():
    assert _run({**os.environ, "MALLOC_ARENA_MAX": "4"}) == "False"


def test_serve_and_the_wsgi_entry_point_cap_the_arenas_before_serving():
    """Both ways a web process starts call it (a code reading: the effect is the bench's soak, not a test)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert "limit_malloc_arenas()" in (root / "wsgi.py").read_text(encoding="utf-8")
    cli = (root / "hotline" / "cli.py").read_text(encoding="utf-8")
    serve = cli[cli.index("def serve("):cli.index("waitress_serve(app")]
    assert serve.index("limit_malloc_arenas()") < serve.index("serve_workers(")
