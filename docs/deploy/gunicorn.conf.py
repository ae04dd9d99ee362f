"""gunicorn settings for one web host: ``gunicorn -c docs/deploy/gunicorn.conf.py wsgi:app``
(the systemd unit ``hotline-web.service`` runs exactly this; ``hotline serve --workers N`` uses the same
options, from ``hotline.app.gunicorn_options``).

Environment (besides the app's ``HOTLINE_*`` settings, see README "Configuration"):
  HOTLINE_BIND         where gunicorn listens (default 127.0.0.1:8000; nginx proxies to it)
  HOTLINE_WORKERS      worker processes (default 2 × cores + 1, at most 8); PostgreSQL when above 1 in production
  HOTLINE_THREADS      threads per worker (default hotline.config.DEFAULT_THREADS)
  HOTLINE_METRICS_DIR  shared by the workers' latency counters (the unit uses /run/hotline-web/metrics)
"""

import os
import sys

from hotline.app import gunicorn_options
from hotline.config import DEFAULT_THREADS, ConfigError, load_settings

_cores = os.cpu_count() or 1
os.environ.setdefault("HOTLINE_WORKERS", str(min(2 * _cores + 1, 8)))
if os.environ.get("RUNTIME_DIRECTORY"):  # systemd RuntimeDirectory=; otherwise <instance>/metrics
    os.environ.setdefault("HOTLINE_METRICS_DIR", os.path.join(os.environ["RUNTIME_DIRECTORY"], "metrics"))

try:
    _settings = load_settings()  # the master refuses to start on a bad or unsafe setting, before any fork
except ConfigError as exc:
    print(f"错误：{exc}", file=sys.stderr)
    sys.exit(3)
if _settings.metrics_dir is None:
    os.environ["HOTLINE_METRICS_DIR"] = str(_settings.instance_path / "metrics")  # the workers inherit it
    _settings = load_settings()

_host, _, _port = (os.environ.get("HOTLINE_BIND") or "127.0.0.1:8000").rpartition(":")
globals().update(gunicorn_options(_settings, host=_host or "127.0.0.1", port=int(_port),
                                  threads=int(os.environ.get("HOTLINE_THREADS") or DEFAULT_THREADS)))
preload_app = False  # every worker opens its own database connections after the fork
accesslog = "-"  # path and status only (no query strings: nothing personal travels in a URL)
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def on_starting(server) -> None:  # noqa: ANN001
    """Counters start at zero with the service: empty the shared metrics directory."""
    from hotline.web.metrics import wipe

    wipe(_settings.metrics_dir)
