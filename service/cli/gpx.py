"""``postrun gpx PATH...``: read GPX and FIT files, and suggest for the latest run.

Each file gets one line (a run, not a run and why, or the error). The runs then
go, as one document, through exactly what ``postrun suggest`` runs, so the note
printed here is the note ``postrun suggest`` would print for the same runs.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from coaching import localtime
from coaching.document import InputError
from coaching.document import suggest_from_document
from service.cli.context import one_shot_app
from service.files import MB
from service.files import FileError
from service.files import FileResult
from service.files import Limits
from service.files import RequestBudget
from service.files.imports import UnknownAthlete
from service.files.imports import import_files
from service.files.report import bounded_reads
from service.files.report import document
from service.files.report import expand
from service.files.report import import_line
from service.files.report import line
from service.files.report import read_one
from service.files.report import run_entry
from service.files.report import run_json

SUFFIXES = (".gpx", ".fit")
# The progress bar shows on a terminal when there are more files than this.
PROGRESS_OVER = 5


def _read_all(
    files: list[str], limits: Limits, show_progress: bool, units: str = "metric"
) -> list[tuple[str, FileResult | None, str | None]]:
    budget = RequestBudget(limits)
    outcomes: list[tuple[str, FileResult | None, str | None]] = []

    def one(path: str) -> None:
        try:
            outcomes.append((path, read_one(path, limits, budget, units), None))
        except FileError as error:
            outcomes.append((path, None, str(error)))
        except Exception as error:  # one bad file never stops the others
            outcomes.append((path, None, f"unexpected {type(error).__name__}: {error}"))

    if show_progress:
        with click.progressbar(files, label="reading", file=sys.stderr) as bar:
            for path in bar:
                one(path)
    else:
        for path in files:
            one(path)
    return outcomes


@click.command("gpx")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--json", "as_json", is_flag=True, help="Print the files and suggestion as JSON.")
@click.option(
    "--units",
    type=click.Choice(["metric", "imperial"]),
    default=None,
    help="Units of the lines and the note (default metric).",
)
@click.option(
    "--max-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=25.0,
    show_default=True,
    help="Largest file read.",
)
@click.option(
    "--max-total-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=25.0,
    show_default=True,
    help="Most bytes read in all, over all files.",
)
@click.option(
    "--max-points",
    type=click.IntRange(min=1),
    default=Limits().max_points,
    show_default=True,
    help="Most points in one file.",
)
@click.option(
    "--import",
    "do_import",
    is_flag=True,
    help="Import the runs into an athlete's history (DATABASE_URL) instead of suggesting.",
)
@click.option("--athlete", type=int, default=None, help="Athlete id to import for.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A progress bar on stderr  [default: on a terminal, over more than 5 files]",
)
@click.option(
    "--timezone",
    "zone",
    default=None,
    metavar="ZONE",
    help="Your IANA time zone (e.g. Europe/Paris) for files written in UTC (default UTC).",
)
def gpx(
    paths: tuple[str, ...],
    as_json: bool,
    units: str | None,
    max_mb: float,
    max_total_mb: float,
    max_points: int,
    do_import: bool,
    athlete: int | None,
    progress: bool | None,
    zone: str | None,
) -> None:
    """Read GPX and FIT files (or folders of them) and suggest for the latest run.

    Prints one line per file, then the note for the latest run with the others as
    its history, as ``postrun suggest`` would. Exit status 0 when every file was
    read (runs or not), 1 when any could not be read.

    With ``--import --athlete ID`` the runs join that athlete's history in the
    database instead (as an upload on the settings page does), and each line says
    what became of its file: imported, a duplicate, not a run, or the error. Exit
    status 2 when there is no such athlete.
    """
    if athlete is not None and not do_import:
        raise click.UsageError("--athlete goes with --import")
    if do_import and athlete is None:
        raise click.UsageError("--import needs --athlete ID")
    if zone is not None and do_import:
        raise click.UsageError("--timezone is for suggesting; an import uses the athlete's zone")
    if zone is not None and not localtime.is_zone(zone):
        raise click.UsageError(f"--timezone: unknown time zone {zone!r} (try Europe/Paris)")
    limits = Limits(
        max_bytes=int(max_mb * MB),
        max_request_bytes=int(max_total_mb * MB),
        max_points=max_points,
    )
    files, notes = expand(paths)
    for note in notes:
        click.echo(note, err=True)
    show_progress = (
        progress if progress is not None else (len(files) > PROGRESS_OVER and _stderr_is_terminal())
    )
    if do_import:
        assert athlete is not None
        sys.exit(_import(files, athlete, limits, units, as_json, show_progress))
    outcomes = _read_all(files, limits, show_progress, units or "metric")
    runs = [(path, r) for path, r, _ in outcomes if r is not None and r.is_run]
    failed = any(error is not None for _, _, error in outcomes)

    suggestion: dict[str, Any] | None = None
    suggestion_text: str | None = None
    problem: str | None = None
    if runs:
        try:
            found = suggest_from_document(document(runs, units, zone))
        except InputError as error:
            problem = f"no suggestion: {error}"
        else:
            suggestion, suggestion_text = found.to_dict(), found.text

    if as_json:
        payload = {
            "files": [
                {
                    "path": path,
                    "ok": error is None,
                    "error": error,
                    "run": run_entry(r) if r is not None and r.is_run else None,
                    "reason": None if r is None or r.is_run else r.reason,
                }
                for path, r, error in outcomes
            ],
            "suggestion": suggestion,
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        shown_units = units or "metric"
        for path, r, failure in outcomes:
            click.echo(line(path, r, failure, shown_units))
        if suggestion_text is not None:
            click.echo()
            click.echo(suggestion_text)
        elif not runs:
            click.echo("no runs among these files, so no suggestion", err=True)
    if problem:
        click.echo(f"error: {problem}", err=True)
    sys.exit(1 if failed or problem else 0)


def _stderr_is_terminal() -> bool:
    try:
        return os.isatty(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _import(
    files: list[str],
    athlete_id: int,
    limits: Limits,
    units: str | None,
    as_json: bool,
    show_progress: bool,
) -> int:
    """Import ``files`` for the athlete; returns the exit status (2: no such athlete)."""
    with one_shot_app(strava=False) as app:
        reads = bounded_reads(files, limits)
        try:
            if show_progress:
                with click.progressbar(
                    reads, length=len(files), label="importing", file=sys.stderr
                ) as bar:
                    results = import_files(app.extensions["postrun"], athlete_id, bar, limits)
            else:
                results = import_files(app.extensions["postrun"], athlete_id, reads, limits)
        except UnknownAthlete:
            click.echo(f"error: no athlete {athlete_id} in the database", err=True)
            return 2
    if as_json:
        payload = {
            "athlete": athlete_id,
            "files": [
                {
                    "path": path,
                    "ok": result.ok,
                    "status": result.status,
                    "error": result.error,
                    "detail": result.detail or None,
                    "run": run_json(result.run),
                    "suggestion": result.suggestion,
                }
                for path, result in zip(files, results, strict=True)
            ],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for path, result in zip(files, results, strict=True):
            click.echo(import_line(path, result, units or "metric"))
        imported = sum(result.status == "imported" for result in results)
        click.echo(f"{imported} run(s) imported for athlete {athlete_id}", err=True)
    return 0 if all(result.ok for result in results) else 1
