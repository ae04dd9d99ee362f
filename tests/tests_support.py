"""Constants and helpers shared by test modules (importable: tests/ is on sys.path via rootdir conftest)."""

from itertools import count

PASSWORD = "Test-Passw0rd-long"
_ids = count(1)


def next_id() -> int:
    return next(_ids)
