"""Command-line start-up: wall time of `hotline` commands beside a bare Python start in the same run.

    python bench/cli_start.py [--repeat 7]

Each command runs as its own process on a fresh SQLite instance (initialised once, not timed); the
baseline is `python -c pass` with the same interpreter. Printed: median and best seconds, and the
median as a multiple of the baseline's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "hotline --help": [str(BIN / "hotline"), "--help"],
    "hotline sla": [str(BIN / "hotline"), "sla", "--from", "2026-06-01T09:00:00+08:00", "--urgency", "normal",
                    "--kind", "help"],
    "hotline kb search": [str(BIN / "hotline"), "kb", "search", "父母一方坐牢孩子算困境儿童吗", "--limit", "3", "--json"],
}


def timed(cmd: list[str], env: dict, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="hotline-cli-bench-")
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": instance}
    env.pop("HOTLINE_DATABASE_URL", None)
    subprocess.run([str(BIN / "hotline"), "init"], env=env, check=True, capture_output=True)
    results = {name: timed(cmd, env, args.repeat) for name, cmd in COMMANDS.items()}
    base = statistics.median(results["python -c pass (baseline)"])
    print(f"{'command':<28} {'median s':>9} {'best s':>8} {'x baseline':>11}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:<28} {median:>9.3f} {min(times):>8.3f} {median / base:>11.1f}")


if __name__ == "__main__":
    main()
