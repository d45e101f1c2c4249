"""``postrun demo``: everything on this machine, no configuration needed."""

from __future__ import annotations

from pathlib import Path

import click

from service.local.demo import run_demo


@click.command()
@click.option("--once", is_flag=True, help="annotate the sample runs, print them and exit")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="where Redis, the database and logs live  [default: demo/ in POSTRUN_DATA_DIR]",
)
def demo(once: bool, data_dir: Path | None) -> None:
    """Run everything on this machine against the Strava sandbox; no configuration needed."""
    raise SystemExit(run_demo(data_dir, once=once))
