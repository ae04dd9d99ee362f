"""``GET /metrics`` in the Prometheus text format (0.0.4): request latency by endpoint and status class,
queue lengths and overdue counts (``hotline.reports.operations``), whether the database answers.

Several worker processes (gunicorn) add up: each process counts its requests in a file of its own in
``HOTLINE_METRICS_DIR`` (a fixed layout of float64 counters, written through ``mmap``, so nothing is lost
when a worker dies and nothing waits for a flush), and whichever worker answers ``/metrics`` sums every
file of the same layout. Without the directory the counters live in this process only (``hotline serve``
with one process). The directory is emptied when the server starts (``gunicorn.conf.py`` /
``hotline serve --workers``), like prometheus_client's multiprocess mode.

Access: from the networks of ``HOTLINE_METRICS_ALLOW`` (default loopback), or with
``Authorization: Bearer <HOTLINE_METRICS_TOKEN>``. Labels are endpoint names and status classes only:
never a path, a ticket number or anyone's data.
"""

from __future__ import annotations

import hmac
import ipaddress
import mmap
import os
import struct
import threading
import time
from array import array
from hashlib import sha256
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from hotline.errors import Forbidden
from hotline.web import runtime

bp = Blueprint("metrics", __name__)

#: latency buckets (seconds), upper bounds; +Inf is implied
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
UNMATCHED = "<unmatched>"
_SLOTS = len(BUCKETS) + 2  # one count per bucket (not cumulative) and +Inf, then the sum of seconds
_DOUBLE = struct.Struct("d")


class LatencyStore:
    """This process's latency counters, in a file of the shared directory (or in memory)."""

    def __init__(self, endpoints: list[str], directory: Path | None) -> None:
        self.endpoints = [*sorted(set(endpoints)), UNMATCHED]
        self._index = {name: i for i, name in enumerate(self.endpoints)}
        self.directory = directory
        digest = sha256("\n".join([*self.endpoints, *map(str, BUCKETS)]).encode()).hexdigest()[:12]
        self._prefix = f"latency-{digest}-"
        self._size = len(self.endpoints) * len(CLASSES) * _SLOTS * _DOUBLE.size
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._buffer: Any = None

    def _own_buffer(self) -> Any:
        """The counters of this process (a new file after a fork: each worker counts in its own)."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            if self.directory is None:
                self._buffer = bytearray(self._size)
            else:
                self.directory.mkdir(parents=True, exist_ok=True)
                path = self.directory / f"{self._prefix}{self._pid}.bin"
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    if os.fstat(fd).st_size < self._size:
                        os.ftruncate(fd, self._size)
                    self._buffer = mmap.mmap(fd, self._size)
                finally:
                    os.close(fd)
        return self._buffer

    def observe(self, endpoint: str | None, status: int, seconds: float) -> None:
        row = self._index.get(endpoint or UNMATCHED, self._index[UNMATCHED])
        klass = min(max(status // 100, 1), 5) - 1
        bucket = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
        base = (row * len(CLASSES) + klass) * _SLOTS * _DOUBLE.size
        with self._lock:
            buffer = self._own_buffer()
            for offset, add in ((base + bucket * _DOUBLE.size, 1.0), (base + (_SLOTS - 1) * _DOUBLE.size, seconds)):
                (value,) = _DOUBLE.unpack_from(buffer, offset)
                _DOUBLE.pack_into(buffer, offset, value + add)

    def totals(self) -> array:
        """Every process's counters added up (the files of this layout, or this process's memory)."""
        total = array("d", bytes(self._size))
        with self._lock:
            self._own_buffer()
            if self.directory is None:
                sources = [bytes(self._buffer)]
            else:
                sources = [path.read_bytes() for path in sorted(self.directory.glob(f"{self._prefix}*.bin"))]
        for raw in sources:
            values = array("d", raw[: self._size])
            for i, value in enumerate(values):
                if value:
                    total[i] += value
        return total

    def render(self) -> list[str]:
        name = "hotline_http_request_duration_seconds"
        lines = [f"# HELP {name} Time to answer a request, by endpoint and status class.",
                 f"# TYPE {name} histogram"]
        total = self.totals()
        for row, endpoint in enumerate(self.endpoints):
            for k, klass in enumerate(CLASSES):
                base = (row * len(CLASSES) + k) * _SLOTS
                counts = total[base:base + _SLOTS - 1]
                count = sum(counts)
                if not count:
                    continue
                labels = f'endpoint="{endpoint}",status="{klass}"'
                running = 0.0
                for bound, n in zip([*map(_number, BUCKETS), "+Inf"], counts, strict=True):
                    running += n
                    lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {_number(running)}')
                lines.append(f"{name}_sum{{{labels}}} {_number(total[base + _SLOTS - 1])}")
                lines.append(f"{name}_count{{{labels}}} {_number(count)}")
        return lines


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def wipe(directory: Path) -> None:
    """Empty the shared directory when the server (re)starts: counters begin at zero with the service."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("latency-*.bin"):
        path.unlink(missing_ok=True)


def _allowed() -> bool:
    settings = runtime().settings
    token = settings.metrics_token
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.metrics_allow)


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        raise Forbidden("仅允许监控地址或持有监控令牌的请求读取 /metrics")
    from hotline.reports.operations import overdue_counts, queue_lengths
    from hotline.timeutil import utcnow

    lines = current_app.extensions["hotline.metrics"].render()
    try:
        with runtime().db.transaction(readonly=True) as session:
            queues, overdue = queue_lengths(session), overdue_counts(session, utcnow())
        up = 1
    except Exception:  # noqa: BLE001 - the database being down is itself a figure
        queues, overdue, up = {}, {}, 0
    lines += ["# HELP hotline_database_up 1 when the database answered this scrape.",
              "# TYPE hotline_database_up gauge", f"hotline_database_up {up}"]
    lines += ["# HELP hotline_queue_length Items waiting: webhook deliveries, ungrouped sentiment items, "
              "tickets waiting for dispatch.", "# TYPE hotline_queue_length gauge"]
    lines += [f'hotline_queue_length{{queue="{queue}"}} {n}' for queue, n in queues.items()]
    lines += ["# HELP hotline_overdue Items past their deadline now.", "# TYPE hotline_overdue gauge"]
    lines += [f'hotline_overdue{{kind="{kind}"}} {n}' for kind, n in overdue.items()]
    return Response("\n".join(lines) + "\n", mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8")


def register_metrics(app: Flask) -> None:
    """The /metrics endpoint and the latency of every request (measured from the first before_request)."""
    app.register_blueprint(bp)
    store = LatencyStore([rule.endpoint for rule in app.url_map.iter_rules()], app.extensions["hotline"].settings.metrics_dir)
    app.extensions["hotline.metrics"] = store

    def _start() -> None:
        g.hotline_started = time.perf_counter()

    def _observe(response: Response) -> Response:
        started = g.get("hotline_started")
        if started is not None:
            store.observe(request.endpoint, response.status_code, time.perf_counter() - started)
        return response

    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_observe)
