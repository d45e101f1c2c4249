"""What every ``postrun`` command needs: settings from the environment, the app, exec."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from service.cli.checks import checked_settings
from service.pipeline.deps import Deps
from service.web.app import create_app


def app_deps(strava: bool = True) -> Deps:
    """The ``Deps`` of an app built from the environment, for a one-shot command.

    ``strava``: the command calls Strava, so it needs the app's credentials too.
    """
    return create_app(checked_settings(strava)).extensions["postrun"]


@contextmanager
def one_shot_app(strava: bool = True) -> Iterator[Flask]:
    """An app built from the environment, its database connections closed afterwards."""
    app = create_app(checked_settings(strava))
    try:
        yield app
    finally:
        app.extensions["postrun.engine"].dispose()


def exec_python(argv: list[str]) -> None:
    """Replace this process, so signals from a supervisor reach the server directly."""
    # Long-running processes log one JSON object per line unless told otherwise.
    os.environ.setdefault("POSTRUN_LOG_FORMAT", "json")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *argv])  # noqa: S606 (fixed argv, no shell)
