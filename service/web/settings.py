"""The settings page: the athlete's choices, the note they give, recent runs, the chart."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from markupsafe import Markup
from sqlalchemy.orm import Session

from coaching import localtime
from coaching.units import format_distance
from coaching.units import format_range
from coaching.units import unit_label
from service.accounts import goal
from service.accounts import overview
from service.accounts import progress
from service.accounts.policy import write_policy
from service.files import human_bytes
from service.files.imports import ImportResult
from service.pipeline import description
from service.storage.models import Athlete
from service.web import chart
from service.web.account import bp
from service.web.context import deps
from service.web.context import upload_limits
from service.web.signin import athlete_page

CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "equipment": (("gym", "Gym"), ("band", "Resistance band"), ("none", "None")),
    "level": (("auto", "Automatic"), ("standard", "Standard"), ("advanced", "Advanced")),
    "units": (("strava", "Follow Strava"), ("metric", "Metric"), ("imperial", "Imperial")),
    "write_mode": (("write", "Write to Strava"), ("preview", "Preview only")),
}


CIRCUITS_PER_WEEK = (1, 2, 3, 4)


def form_values(athlete: Athlete) -> dict[str, Any]:
    return {
        "paused": bool(athlete.paused),
        "equipment": athlete.equipment,
        "level": athlete.level,
        "circuits_per_week": athlete.circuits_per_week,
        "units": athlete.units,
        "write_mode": athlete.write_mode,
        "include_volume": athlete.include_volume is not False,
        "goal_race_date": athlete.goal_race_date,
        "goal_race_distance_m": athlete.goal_race_distance_m,
    }


def parse_form(form: Any, athlete: Athlete, today: date) -> tuple[dict[str, Any], list[str]]:
    """The settings form as values, with a message per field that is not valid.

    ``today`` is the athlete's own day, for the goal race's date.
    """
    values: dict[str, Any] = {
        "paused": form.get("paused") == "on",
        "include_volume": form.get("include_volume") == "on",
    }
    errors = []
    for name, options in CHOICES.items():
        raw = form.get(name, "")
        if raw not in {value for value, _label in options}:
            errors.append(f"{name.replace('_', ' ')}: choose one of the options")
        values[name] = raw
    raw = form.get("circuits_per_week", "")
    if raw.isdigit() and int(raw) in CIRCUITS_PER_WEEK:
        values["circuits_per_week"] = int(raw)
    else:
        errors.append("circuits per week: choose 1, 2, 3 or 4")
        values["circuits_per_week"] = raw
    saved = (athlete.goal_race_date, athlete.goal_race_distance_m)
    day, metres, problems = goal.parse(form, today, athlete.effective_units(), saved)
    values["goal_race_date"], values["goal_race_distance_m"] = day, metres
    return values, errors + problems


def render_settings(
    db: Session,
    athlete: Athlete,
    values: dict[str, Any],
    *,
    errors: list[str] | None = None,
    unsaved: bool = False,
    status: int = 200,
    uploads: list[ImportResult] | None = None,
    upload_error: str | None = None,
) -> tuple[str, int]:
    # The whole page speaks the units of the form it shows (a preview may change them).
    units = overview.effective_units(str(values["units"]), athlete)
    now = deps().now()
    zone = athlete.effective_timezone()
    today = localtime.today_in(now, zone)
    first = chart.first_week(today)
    since = datetime.combine(first, time(), tzinfo=localtime.zone(zone)).astimezone(UTC)
    saved = overview.preview(db, athlete, form_values(athlete), now, since)
    same = values == form_values(athlete) or errors
    shown = saved if same else overview.preview(db, athlete, values, now, since)
    band = saved.volume.next_week_m
    weeks = chart.weekly_totals(overview.run_days(db, athlete, first), today)
    page = render_template(
        "settings.html",
        athlete=athlete,
        values=values,
        choices=CHOICES,
        circuits=CIRCUITS_PER_WEEK,
        errors=errors or [],
        unsaved=unsaved,
        saved_notice=session.pop("saved", False),
        preview_block=description.render_block(shown.text),
        preview_is_example=shown.run.id == overview.EXAMPLE_RUN_ID,
        example_run=format_distance(overview.TYPICAL_RUN_M, units),
        policy=write_policy(values["paused"], values.get("write_mode", "write")),
        # Built from numbers and escaped text only (service.web.chart), so it is safe to embed.
        chart=Markup(chart.weekly_chart(weeks, band, units, zone)),  # noqa: S704
        band_text=format_range(*band, units) if band[1] > 0 else None,
        history=[_history_row(row, units) for row in overview.recent_runs(db, athlete, since)],
        old_history=[_history_row(row, units) for row in overview.old_runs(db, athlete, since)],
        weeks_shown=chart.WEEKS,
        progress=progress.progress(db, athlete, deps().settings.processing_delay_s, now),
        zone=zone,
        goal_race=_goal_race_form(values, units, localtime.today_in(now, zone)),
        uploads=[_upload_row(result, units) for result in uploads or ()],
        upload_error=upload_error,
        max_upload=human_bytes(upload_limits().max_bytes),
    )
    return page, status


def _goal_race_form(values: dict[str, Any], units: str, today: date) -> dict[str, Any]:
    """What templates/_goal_race.html shows: the fields, the choices and the limits."""
    day = values["goal_race_date"]
    fields = goal.form_fields(day, values["goal_race_distance_m"], units)
    shortest, longest = goal.distance_bounds(units)
    return {
        **fields,
        "distances": [(value, label) for value, label, _metres in goal.DISTANCES],
        # A saved race that has passed stays valid (goal.parse), so the browser must allow it.
        "earliest": min(today, day or today).isoformat(),
        "latest": goal.latest_day(today).isoformat(),
        "shortest": shortest,
        "longest": longest,
        "units": units,
        "unit": unit_label(units),
    }


def _history_row(row: overview.HistoryRow, units: str) -> dict[str, Any]:
    return {
        "start": row.start,
        "name": row.name,
        "distance": format_distance(row.distance_m, units),
        "outcome": row.outcome,
        "written": row.written,
        "file_name": row.file_name,
    }


def _upload_row(result: ImportResult, units: str) -> dict[str, Any]:
    """One uploaded file's line in the results table."""
    outcomes = {
        "imported": "Imported",
        "duplicate": "Already in your history",
        "not a run": "Not a run",
        "error": "Could not be read",
    }
    run = result.run
    imported = result.status == "imported"
    return {
        "name": result.name,
        "ok": result.ok,
        "outcome": outcomes.get(result.status, result.status),
        # An imported run's detail says why it gets no note: it goes in the note's cell.
        "detail": result.error or ("" if imported else result.detail),
        "when": run.local_start if run else None,
        "distance": format_distance(run.distance_m, units) if run else "",
        "suggestion": description.render_block(result.suggestion) if result.suggestion else None,
        "no_note": result.detail if imported and not result.suggestion else "",
    }


@bp.get("/settings")
@athlete_page
def settings(db: Session, athlete: Athlete) -> Any:
    return render_settings(db, athlete, form_values(athlete))


@bp.post("/settings")
@athlete_page
def save_settings(db: Session, athlete: Athlete) -> Any:
    """Save the form, or (the Preview button) show its note without saving."""
    today = localtime.today_in(deps().now(), athlete.effective_timezone())
    values, errors = parse_form(request.form, athlete, today)
    if errors:
        return render_settings(
            db, athlete, form_values(athlete), errors=errors, unsaved=True, status=400
        )
    if request.form.get("action") == "preview":
        return render_settings(db, athlete, values, unsaved=values != form_values(athlete))
    for name, value in values.items():
        setattr(athlete, name, value)
    db.commit()
    session["saved"] = True
    # To the confirmation next to the Save button, where the eye is.
    return redirect(url_for("account.settings", _anchor="saved"), code=303)
