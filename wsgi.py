"""WSGI entry point (waitress, gunicorn) and ``flask --app wsgi <command>``: the same commands as ``hotline``."""

from hotline import create_app
from hotline.cli import main

app = create_app()
for command in main.commands.values():
    app.cli.add_command(command)
