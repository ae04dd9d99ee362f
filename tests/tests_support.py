"""Constants and helpers shared by test modules (importable: tests/ is on sys.path via the pytest
configuration)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

PASSWORD = "Test-Passw0rd-long"


def race(n: int, fn):  # noqa: ANN001, ANN201
    """Run fn(0..n-1) in n threads released at the same instant; their results in order."""
    barrier = Barrier(n)

    def go(i):  # noqa: ANN001, ANN202
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))
