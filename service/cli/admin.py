"""Operator commands: the push subscription, and webhook events by status."""

from __future__ import annotations

import click

from service.cli.context import app_deps
from service.pipeline.admin import count_events
from service.pipeline.admin import list_events
from service.pipeline.admin import retry_events
from service.pipeline.intake import save_subscription_id
from service.storage.models import EventStatus
from service.strava.errors import StravaError


@click.command()
@click.option("--callback-url", required=True, help="public URL of /webhooks/strava")
def subscribe(callback_url: str) -> None:
    """Create Strava's push subscription and remember its id."""
    deps = app_deps()
    if not deps.settings.strava_verify_token:
        raise click.ClickException("STRAVA_VERIFY_TOKEN must be set")
    try:
        subscription_id = deps.strava.create_subscription(
            callback_url, deps.settings.strava_verify_token
        )
    except (StravaError, OSError) as error:
        raise click.ClickException(f"Strava refused the subscription: {error}") from None
    save_subscription_id(deps, subscription_id)
    click.echo(f"subscribed: id {subscription_id} -> {callback_url}")


@click.command()
def subscriptions() -> None:
    """List the app's push subscriptions on Strava."""
    found = app_deps().strava.list_subscriptions()
    if not found:
        click.echo("no subscription")
    for item in found:
        click.echo(f"{item['id']}  {item['callback_url']}")


@click.command()
@click.argument("subscription_id", type=int, required=False)
def unsubscribe(subscription_id: int | None) -> None:
    """Delete the push subscription (the stored one unless an id is given)."""
    deps = app_deps()
    if subscription_id is None:
        with deps.session_factory() as session:
            subscription_id = deps.subscription_id(session)
    if subscription_id is None:
        raise click.ClickException("no subscription id stored; pass one")
    deps.strava.delete_subscription(subscription_id)
    save_subscription_id(deps, None)
    click.echo(f"deleted subscription {subscription_id}")


@click.command()
@click.option("--failed", "show_failed", is_flag=True, help="list events parked as failed")
@click.option("--retry", "retry_ids", type=int, multiple=True, help="re-run a failed event by id")
@click.option("--all", "retry_all", is_flag=True, help="re-run every failed event")
def events(show_failed: bool, retry_ids: tuple[int, ...], retry_all: bool) -> None:
    """Count webhook events by status; list and re-run the ones that failed."""
    deps = app_deps(strava=False)
    if retry_ids or retry_all:
        retried = retry_events(deps, None if retry_all else list(retry_ids))
        missing = sorted(set(retry_ids) - set(retried))
        click.echo(f"re-queued {len(retried)} event(s): {' '.join(map(str, retried)) or '-'}")
        if missing:
            raise click.ClickException(f"not failed or unknown: {' '.join(map(str, missing))}")
        return
    if show_failed:
        failed = list_events(deps, EventStatus.FAILED)
        if not failed:
            click.echo("no failed events")
        for event in failed:
            click.echo(
                f"{event.id}  {event.object_type} {event.object_id} {event.aspect_type}"
                f"  athlete {event.owner_id}  attempts {event.attempts}"
                f"  {event.outcome}  last error: {event.last_error or '-'}"
            )
        return
    counts = count_events(deps)
    for status, count in counts:
        click.echo(f"{status:8} {count}")
    if not counts:
        click.echo("no events")
