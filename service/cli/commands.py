"""The ``postrun`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from service.cli.gpx import gpx
from service.cli.suggest import suggest
from service.config import ConfigError
from service.config import Settings
from service.config import default_web_workers

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _exec(argv: list[str]) -> None:
    """Replace this process, so signals from a supervisor reach the server directly."""
    # Long-running processes log one JSON object per line unless told otherwise.
    os.environ.setdefault("POSTRUN_LOG_FORMAT", "json")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *argv])  # noqa: S606 (fixed argv, no shell)


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
    settings = _settings()
    workers = workers or default_web_workers()
    if not no_migrate:
        from service.storage import migrate

        migrate.upgrade(settings.database_url)
    _exec(
        [
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers),
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
    settings = _settings()
    if settings.worker_nice > 0:
        # Kept across the exec below, and by every process the worker forks.
        os.nice(settings.worker_nice)
    # Both queues, fresh runs first (see queue_order_strategy in service/app.py).
    queues = [] if {"-Q", "--queues"} & set(celery_args) else ["--queues", "postrun,postrun-low"]
    _exec(
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
    _settings()
    _exec(["-m", "celery", "-A", "workers.make_celery", "beat", "--loglevel", "INFO", *celery_args])


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema (DATABASE_URL)."""
    from service.storage import migrate

    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION ("base" drops everything)."""
    from service.storage import migrate

    migrate.downgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


def _deps():  # type: ignore[no-untyped-def]
    from service.web.app import create_app

    return create_app(_settings()).extensions["postrun"]


@main.command()
@click.option("--callback-url", required=True, help="public URL of /webhooks/strava")
def subscribe(callback_url: str) -> None:
    """Create Strava's push subscription and remember its id."""
    from service.pipeline import handlers
    from service.strava.gateway import StravaError

    deps = _deps()
    if not deps.settings.strava_verify_token:
        raise click.ClickException("STRAVA_VERIFY_TOKEN must be set")
    try:
        subscription_id = deps.strava.create_subscription(
            callback_url, deps.settings.strava_verify_token
        )
    except (StravaError, OSError) as error:
        raise click.ClickException(f"Strava refused the subscription: {error}") from None
    handlers.save_subscription_id(deps, subscription_id)
    click.echo(f"subscribed: id {subscription_id} -> {callback_url}")


@main.command()
def subscriptions() -> None:
    """List the app's push subscriptions on Strava."""
    found = _deps().strava.list_subscriptions()
    if not found:
        click.echo("no subscription")
    for item in found:
        click.echo(f"{item['id']}  {item['callback_url']}")


@main.command()
@click.argument("subscription_id", type=int, required=False)
def unsubscribe(subscription_id: int | None) -> None:
    """Delete the push subscription (the stored one unless an id is given)."""
    from service.pipeline import handlers

    deps = _deps()
    if subscription_id is None:
        with deps.session_factory() as session:
            subscription_id = deps.subscription_id(session)
    if subscription_id is None:
        raise click.ClickException("no subscription id stored; pass one")
    deps.strava.delete_subscription(subscription_id)
    handlers.save_subscription_id(deps, None)
    click.echo(f"deleted subscription {subscription_id}")


@main.command()
@click.option("--failed", "show_failed", is_flag=True, help="list events parked as failed")
@click.option("--retry", "retry_ids", type=int, multiple=True, help="re-run a failed event by id")
@click.option("--all", "retry_all", is_flag=True, help="re-run every failed event")
def events(show_failed: bool, retry_ids: tuple[int, ...], retry_all: bool) -> None:
    """Count webhook events by status; list and re-run the ones that failed."""
    import sqlalchemy as sa

    from service.pipeline import handlers
    from service.storage.models import Event

    deps = _deps()
    if retry_ids or retry_all:
        retried = handlers.retry_events(deps, None if retry_all else list(retry_ids))
        missing = sorted(set(retry_ids) - set(retried))
        click.echo(f"re-queued {len(retried)} event(s): {' '.join(map(str, retried)) or '-'}")
        if missing:
            raise click.ClickException(f"not failed or unknown: {' '.join(map(str, missing))}")
        return
    if show_failed:
        failed = handlers.list_events(deps, "failed")
        if not failed:
            click.echo("no failed events")
        for event in failed:
            click.echo(
                f"{event.id}  {event.object_type} {event.object_id} {event.aspect_type}"
                f"  athlete {event.owner_id}  attempts {event.attempts}"
                f"  {event.outcome}  last error: {event.last_error or '-'}"
            )
        return
    with deps.session_factory() as session:
        counts = session.execute(
            sa.select(Event.status, sa.func.count()).group_by(Event.status).order_by(Event.status)
        ).all()
    for status, count in counts:
        click.echo(f"{status:8} {count}")
    if not counts:
        click.echo("no events")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("sandbox_args", nargs=-1, type=click.UNPROCESSED)
def sandbox(sandbox_args: tuple[str, ...]) -> None:
    """Serve the Strava sandbox alone (``--port N``; ``--help`` lists its options)."""
    from sandbox import main as sandbox_main

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
    from service.local.demo import run_demo

    raise SystemExit(run_demo(data_dir, once=once))


main.add_command(suggest)
main.add_command(gpx)

if __name__ == "__main__":
    main()
