"""Constants and helpers shared by test modules (importable: tests/ is on sys.path via the pytest
configuration)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
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


@contextmanager
def http_server(handler):  # noqa: ANN001, ANN201
    """A real HTTP server on a free loopback port, serving ``handler`` in threads; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
