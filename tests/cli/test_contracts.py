"""The shared contract checker (../shared/tools/check_contracts.py) against the installed `hotline`,
on a fresh instance: init, a model trained on the small fixture, then every contract."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT.parent / "shared" / "tools" / "check_contracts.py"
FIXTURE = ROOT / "tests" / "data" / "classifier_fixture.jsonl"


def test_shared_contract_checker(tmp_path):
    if not CHECKER.is_file():
        pytest.fail(f"contract checker not found at {CHECKER}")
    hotline = str(Path(sys.executable).with_name("hotline"))
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("HOTLINE_DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)

    assert run(hotline, "init").returncode == 0
    trained = run(hotline, "train", "--corpus", str(FIXTURE))
    assert trained.returncode == 0, trained.stderr
    proc = run(sys.executable, str(CHECKER), hotline)
    assert proc.returncode == 0 and "contracts: OK" in proc.stdout, proc.stdout
