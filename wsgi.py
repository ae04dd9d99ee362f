"""WSGI entry point (gunicorn, waitress) and ``flask --app wsgi <command>``: the same commands as ``hotline``.

``gunicorn -c docs/deploy/gunicorn.conf.py wsgi:app`` is the production command (docs/deploy.md). A setting
that stops the app from starting (production mode without a proper secret key or secure cookies, a bad
value) is one line on stderr and exit status 3, which gunicorn takes as "worker failed to boot" and stops,
instead of a traceback and an endless restart loop."""

import sys

from hotline import create_app
from hotline.cli import main
from hotline.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"错误：{exc}", file=sys.stderr)  # noqa: T201
    sys.exit(3)
for command in main.commands.values():
    app.cli.add_command(command)
