"""Bench only (`bench/console.py --soak N --trace-heap`), never installed: the bench puts this folder on the
web server's PYTHONPATH. In a `hotline serve` process it starts tracemalloc and, on SIGUSR1, appends one line
to $HOTLINE_BENCH_HEAP_LOG: the traced Python heap in bytes and the five source lines whose traced memory changed
most since the first signal. What the heap does not hold (SQLite's page caches, malloc's free lists) shows in
RSS only."""

import os
import signal
import sys
import tracemalloc

_LOG = os.environ.get("HOTLINE_BENCH_HEAP_LOG")

if _LOG and sys.argv[1:2] == ["serve"]:
    tracemalloc.start(1)
    _first: list = []

    def _report(signum: int, frame: object) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
        moved = "" if not _first else "; ".join(
            f"{s.traceback[0].filename.rsplit('/', 1)[-1]}:{s.traceback[0].lineno} {s.size_diff / 1024:+.0f} KiB"
            for s in snapshot.compare_to(_first[0], "lineno")[:5])
        if not _first:
            _first.append(snapshot)
        with open(_LOG, "a", encoding="utf-8") as out:
            out.write(f"{tracemalloc.get_traced_memory()[0]} {moved}\n")

    signal.signal(signal.SIGUSR1, _report)
