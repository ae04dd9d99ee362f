"""The command line loads what a command needs and nothing more: `hotline --help` and `hotline sla` touch
neither Flask nor the database layer nor the model; `hotline kb search` loads the knowledge base (its
ranking index is numpy arrays) but not the model. (How fast that is lives in bench/cli_start.py, not in a timed test.)"""

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("flask", "werkzeug", "sqlalchemy", "sklearn", "scipy", "numpy", "joblib", "jieba", "rjieba", "openpyxl",
         "waitress")
PROBE = """
import json, sys
from hotline.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(m for m in HEAVY if m in sys.modules)))
""".replace("HEAVY", repr(HEAVY))


def loaded_by(args: list[str], instance) -> list[str]:
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(instance)}
    env.pop("HOTLINE_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [["--help"], ["user", "--help"], ["sla", "--from", "2026-06-01T09:00:00+08:00", "--urgency", "normal", "--kind", "help"]],
)
def test_commands_that_need_no_database_load_nothing_heavy(args, tmp_path):
    assert loaded_by(args, tmp_path / "instance") == []


def test_a_knowledge_base_search_does_not_load_the_model_or_flask(tmp_path):
    hotline = str(os.path.join(os.path.dirname(sys.executable), "hotline"))
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("HOTLINE_DATABASE_URL", None)
    assert subprocess.run([hotline, "init"], env=env, capture_output=True, timeout=300).returncode == 0
    loaded = loaded_by(["kb", "search", "留守儿童 认定", "--limit", "1", "--json"], tmp_path / "instance")
    assert not set(loaded) & {"flask", "werkzeug", "sklearn", "scipy", "joblib", "openpyxl", "waitress"}
    assert "sqlalchemy" in loaded  # it did search the database


def test_importing_the_package_loads_neither_the_web_app_nor_the_command_line():
    probe = "import sys, hotline; print(sorted(m for m in ('flask', 'hotline.cli', 'hotline.app', 'click') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_the_jobs_refuse_an_uninitialised_database_in_one_line(tmp_path):
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("HOTLINE_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "hotline.cli", "sweep", "--now", "2026-06-01T09:00:00+08:00"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "错误：数据库尚未初始化，请先运行 hotline init"  # no traceback, no SQL
