"""The ``postrun`` command line."""

from __future__ import annotations

import os
from pathlib import Path

import click

from sandbox import main as sandbox_main
from service.cli.admin import events
from service.cli.admin import subscribe
from service.cli.admin import subscriptions
from service.cli.admin import unsubscribe
from service.cli.context import exec_python
from service.cli.context import settings_or_exit
from service.cli.gpx import gpx
from service.cli.suggest import suggest
from service.config import default_web_workers
from service.local.demo import run_demo
from service.storage import migrate

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'


@click.group()
def main() -> None:
    """postrun: a post-run back circuit and weekly-volume advice on every Strava run."""


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="gunicorn worker processes  [default: 2 per CPU core]",
)
@click.option("--no-migrate", is_flag=True, help="skip the schema upgrade before starting")
def serve(bind: str, workers: int | None, no_migrate: bool) -> None:
    """Serve the web app and webhook with gunicorn (settings from the environment)."""
    settings = settings_or_exit()
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
            str(settings.web_threads),
            "--access-logfile",
            "-",
            # The path without its query string and no Referer: the OAuth callback's
            # query holds a one-time code, which must not reach the logs.
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "--graceful-timeout",
            "10",
            "service.web.app:create_app()",
        ]
    )


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker; extra arguments go to ``celery worker``."""
    settings = settings_or_exit()
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


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat, which re-enqueues events that were accepted but never finished."""
    settings_or_exit()
    exec_python(
        ["-m", "celery", "-A", "workers.make_celery", "beat", "--loglevel", "INFO", *celery_args]
    )


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema (DATABASE_URL)."""
    migrate.upgrade(settings_or_exit().database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION ("base" drops everything)."""
    migrate.downgrade(settings_or_exit().database_url, revision)
    click.echo(f"database at {revision}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("sandbox_args", nargs=-1, type=click.UNPROCESSED)
def sandbox(sandbox_args: tuple[str, ...]) -> None:
    """Serve the Strava sandbox alone (``--port N``; ``--help`` lists its options)."""
    raise SystemExit(sandbox_main(list(sandbox_args)))


@main.command()
@click.option("--once", is_flag=True, help="annotate the sample runs, print them and exit")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".postrun"),
    show_default=True,
    help="where Redis, the database and logs live",
)
def demo(once: bool, data_dir: Path) -> None:
    """Run everything on this machine against the Strava sandbox; no configuration needed."""
    raise SystemExit(run_demo(data_dir, once=once))


for command in (subscribe, subscriptions, unsubscribe, events, suggest, gpx):
    main.add_command(command)

if __name__ == "__main__":
    main()
