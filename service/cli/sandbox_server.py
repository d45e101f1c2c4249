"""``postrun sandbox``: the Strava sandbox on its own, for offline work on any Strava client."""

from __future__ import annotations

import click

from sandbox import main as sandbox_main


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("sandbox_args", nargs=-1, type=click.UNPROCESSED)
def sandbox(sandbox_args: tuple[str, ...]) -> None:
    """Serve the Strava sandbox alone (``--port N``; ``--help`` lists its options)."""
    raise SystemExit(sandbox_main(list(sandbox_args)))
