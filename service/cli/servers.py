"""The long-running commands (web, worker, beat) and the schema commands."""

from __future__ import annotations

import os

import click

from service.cli.checks import checked_settings
from service.cli.context import exec_python
from service.config import default_web_workers
from service.storage import migrate

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="gunicorn worker processes  [default: 2 per CPU core]",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="threads per gunicorn worker  [default: POSTRUN_WEB_THREADS, 8]",
)
@click.option("--preload", is_flag=True, help="load the app once, before the workers fork")
@click.option("--no-migrate", is_flag=True, help="skip the schema upgrade before starting")
def serve(
    bind: str, workers: int | None, threads: int | None, preload: bool, no_migrate: bool
) -> None:
    """Serve the web app and webhook with gunicorn (settings from the environment)."""
    settings = checked_settings()
    workers = workers or default_web_workers()
    if not no_migrate:
        migrate.upgrade(settings.database_url)
    exec_python(
        [
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers),
            # Threaded workers: an upload or a slow client holds one thread, and the
            # webhook answers on the others (docs/sources.md#why-gunicorn-runs-threaded-workers).
            "--worker-class",
            "gthread",
            "--threads",
            str(threads or settings.web_threads),
            *(["--preload"] if preload else []),
            "--access-logfile",
            "-",
            # The path without its query string and no Referer: the OAuth callback's
            # query holds a one-time code, which must not reach the logs.
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "--graceful-timeout",
            "10",
            "service.web.wsgi:app",
        ]
    )


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker; extra arguments go to ``celery worker``."""
    settings = checked_settings()
    if settings.worker_nice > 0:
        # Kept across the exec below, and by every process the worker forks.
        os.nice(settings.worker_nice)
    # Both queues, fresh runs first (see queue_order_strategy in service/web/celery_app.py).
    queues = [] if {"-Q", "--queues"} & set(celery_args) else ["--queues", "postrun,postrun-low"]
    exec_python(
        [
            "-m",
            "celery",
            "-A",
            "workers.make_celery",
            "worker",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            *queues,
            *celery_args,
        ]
    )


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat, which re-enqueues events that were accepted but never finished."""
    checked_settings()
    # workers.beat holds the schedule and the broker only: beat sends tasks by name.
    exec_python(["-m", "celery", "-A", "workers.beat", "beat", "--loglevel", "INFO", *celery_args])


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema (DATABASE_URL)."""
    migrate.upgrade(checked_settings(strava=False).database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION ("base" drops everything)."""
    migrate.downgrade(checked_settings(strava=False).database_url, revision)
    click.echo(f"database at {revision}")
