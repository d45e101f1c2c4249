"""The athlete's side: connect with Strava, the settings page, sign out, disconnect.

Every page works on the signed-in athlete only. No route takes an athlete or
activity id: whose data a request sees comes from the signed session cookie
alone, so one athlete cannot name another's rows.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC
from datetime import datetime
from typing import Any

import requests
import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import coaching
from coaching import localtime
from coaching.units import format_distance
from coaching.units import format_range
from service.accounts import progress
from service.files._common import human_bytes
from service.pipeline import description
from service.pipeline import handlers
from service.storage.crypto import TokenKeyError
from service.storage.models import Activity
from service.storage.models import Athlete
from service.strava.gateway import AccessRevoked
from service.strava.gateway import StravaError
from service.strava.http import STRAVA_ORIGIN
from service.web import chart as svg_chart

log = logging.getLogger(__name__)

bp = Blueprint("account", __name__)

CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "equipment": (("gym", "Gym"), ("band", "Resistance band"), ("none", "None")),
    "level": (("auto", "Automatic"), ("standard", "Standard"), ("advanced", "Advanced")),
    "units": (("strava", "Follow Strava"), ("metric", "Metric"), ("imperial", "Imperial")),
    "write_mode": (("write", "Write to Strava"), ("preview", "Preview only")),
}
CIRCUITS_PER_WEEK = (1, 2, 3, 4)
HISTORY_ROWS = 15
# A run to preview on when the athlete has none stored yet.
TYPICAL_RUN_M, TYPICAL_RUN_S = 8000.0, 45 * 60
EXAMPLE_RUN_ID = "example"


def _deps() -> handlers.Deps:
    return current_app.extensions["postrun"]


# Signing in ---------------------------------------------------------------------


def _sign_in(athlete: Athlete) -> None:
    session.clear()  # nothing from before the sign-in survives it (no session fixation)
    session["athlete_id"] = athlete.id
    # Binds the cookie to this connection: after a disconnect and a new connect,
    # cookies issued before are not valid any more.
    session["since"] = athlete.created_at.isoformat()
    session.permanent = True


def signed_in(db: Session) -> Athlete | None:
    """The athlete this browser is signed in as, or None."""
    athlete_id = session.get("athlete_id")
    if not isinstance(athlete_id, int):
        return None
    athlete = db.get(Athlete, athlete_id)
    if athlete is None or session.get("since") != athlete.created_at.isoformat():
        return None
    return athlete


def _sign_in_first() -> Response:
    return redirect(url_for("pages.index"), code=302)


# Connecting --------------------------------------------------------------------


def _redirect_uri() -> str:
    public = _deps().settings.public_url
    if public:
        return public + url_for("account.callback")
    return url_for("account.callback", _external=True)


def _problem(title: str, message: str, status: int, reconnect: bool = True) -> Response:
    page = render_template("problem.html", title=title, message=message, reconnect=reconnect)
    response = Response(page, status=status, mimetype="text/html")
    # The callback URL holds a one-time code: no page may pass it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/connect")
def connect() -> Response:
    """Send the browser to Strava's consent page, with a state bound to this session."""
    deps = _deps()
    state = secrets.token_urlsafe(32)
    session["oauth_state"] = state
    url = deps.strava.authorization_url(_redirect_uri(), state)
    base = deps.settings.strava_base_url
    if base and url.startswith(STRAVA_ORIGIN):  # the sandbox stands in for strava.com
        url = base.rstrip("/") + url[len(STRAVA_ORIGIN) :]
    return redirect(url, code=302)


@bp.get("/connect/callback")
def callback() -> Response:
    """Strava sends the athlete back here with a one-time code (or an error)."""
    expected = session.pop("oauth_state", None)
    given = request.args.get("state", "")
    if not expected or not hmac.compare_digest(given.encode(), str(expected).encode()):
        return _problem(
            "That sign-in link is not valid",
            "It was not started from this browser, or it was used already. "
            "Start again from the Connect button.",
            400,
        )
    if request.args.get("error"):
        return _problem(
            "Not connected",
            "You cancelled on Strava, so postrun has no access to your runs. "
            "You can connect any time.",
            200,
        )
    code = request.args.get("code", "")
    if not code:
        return _problem("Not connected", "Strava sent no authorization code.", 400)
    deps = _deps()
    try:
        athlete_id = handlers.connect_athlete(deps, code, request.args.get("scope"))
    except handlers.MissingScope as missing:
        return render_missing_scope(missing.missing)
    except (StravaError, requests.RequestException) as error:
        # The type only: an error text may quote the request, and the request held the code.
        log.warning("Strava code exchange failed: %s", type(error).__name__)
        return _problem(
            "Strava did not answer as expected",
            "The connection could not be completed. Please try again in a minute.",
            502,
        )
    with deps.session_factory() as db:
        athlete = db.get(Athlete, athlete_id)
        assert athlete is not None
        _sign_in(athlete)
    return redirect(url_for("account.settings"), code=303)


def render_missing_scope(missing: list[str]) -> Response:
    response = Response(
        render_template("missing_scope.html", missing=missing), status=403, mimetype="text/html"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# The settings page ---------------------------------------------------------------


def _form_values(athlete: Athlete) -> dict[str, Any]:
    return {
        "paused": bool(athlete.paused),
        "equipment": athlete.equipment,
        "level": athlete.level,
        "circuits_per_week": athlete.circuits_per_week,
        "units": athlete.units,
        "write_mode": athlete.write_mode,
        "include_volume": athlete.include_volume is not False,
    }


def parse_form(form: Any) -> tuple[dict[str, Any], list[str]]:
    """The settings form as values, with a message per field that is not valid."""
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
    return values, errors


def _effective_units(units: str, athlete: Athlete) -> str:
    if units in ("metric", "imperial"):
        return units
    return "imperial" if athlete.measurement_preference == "feet" else "metric"


def preview(db: Session, athlete: Athlete, values: dict[str, Any]) -> coaching.Suggestion:
    """The note the athlete's latest stored run gets with ``values`` (a typical run if none)."""
    zone = athlete.effective_timezone()
    settings = coaching.AthleteSettings(
        units=_effective_units(values["units"], athlete),  # type: ignore[arg-type]
        equipment=values["equipment"],
        level=values["level"],
        circuits_per_week=values["circuits_per_week"],
        include_volume=values["include_volume"],
        timezone=zone,
    )
    latest = db.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete.id, Activity.is_run.is_(True))
        .order_by(Activity.start.desc())
        .limit(1)
    ).first()
    if latest is not None:
        run = handlers.as_run(latest)
        history = handlers.run_history(db, athlete.id, run.start)
    else:
        start = _deps().now().replace(microsecond=0)
        offset = localtime.offset_at(start, zone)
        run = coaching.Run(EXAMPLE_RUN_ID, start, TYPICAL_RUN_M, TYPICAL_RUN_S, utc_offset_s=offset)
        history = [run]
    return coaching.suggest(settings, history, run)


def _history(db: Session, athlete: Athlete, units: str) -> list[dict[str, Any]]:
    rows = db.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete.id, Activity.is_run.is_(True))
        .order_by(Activity.start.desc())
        .limit(HISTORY_ROWS)
    )
    rows = list(rows)
    superseded = handlers.superseded_file_runs(db, athlete.id, rows)
    entries = []
    for row in rows:
        from_file = row.source == handlers.FILE_SOURCE
        if from_file and row.id in superseded:
            outcome = "The same run came from Strava too, so it counts once"
        elif from_file:
            outcome = "Counted in your volume, no note"
        elif row.status == "annotated" and row.written_block:
            outcome = "Note written to Strava"
        elif row.status == "imported":
            outcome = "From before you connected: counted in your volume, no note"
        elif row.status == "pending":
            outcome = "Not handled yet"
        else:
            outcome = (row.reason or row.status).capitalize()
        entries.append(
            {
                "start": handlers.as_run(row).local_start,
                "name": row.name or "Run",
                "distance": format_distance(row.distance_m, units),
                "outcome": outcome,
                "written": row.written_block if row.status == "annotated" else None,
                "file_name": row.file_name if from_file else None,
            }
        )
    return entries


def _chart(db: Session, athlete: Athlete, band: tuple[float, float], units: str) -> Markup:
    today = localtime.today_in(_deps().now(), athlete.effective_timezone())
    first = localtime.week_start(today).toordinal() - 7 * (svg_chart.WEEKS - 1)
    # A day early: a run late on the first Monday may start the day before in UTC.
    since = datetime.fromordinal(first - 1).replace(tzinfo=UTC)
    runs = db.scalars(
        sa.select(Activity).where(
            Activity.athlete_id == athlete.id,
            Activity.is_run.is_(True),
            Activity.start >= since,
        )
    ).all()
    superseded = handlers.superseded_file_runs(db, athlete.id, runs)
    weeks = svg_chart.weekly_totals(
        ((handlers.as_run(r).day, r.distance_m) for r in runs if r.id not in superseded), today
    )
    # Built from numbers and escaped text only (svg_chart), so it is safe to embed.
    return Markup(svg_chart.weekly_chart(weeks, band, units))  # noqa: S704


def _render_settings(
    db: Session,
    athlete: Athlete,
    values: dict[str, Any],
    *,
    errors: list[str] | None = None,
    unsaved: bool = False,
    status: int = 200,
    uploads: list[Any] | None = None,
    upload_error: str | None = None,
) -> tuple[str, int]:
    units = athlete.effective_units()
    saved = preview(db, athlete, _form_values(athlete))
    shown = saved if values == _form_values(athlete) or errors else preview(db, athlete, values)
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
        preview_is_example=shown.run.id == EXAMPLE_RUN_ID,
        policy=handlers.write_policy(_as_policy_input(athlete, values)),
        chart=_chart(db, athlete, saved.volume.next_week_m, units),
        band_text=format_range(*saved.volume.next_week_m, units),
        history=_history(db, athlete, units),
        progress=progress.progress(db, athlete, _deps().settings.processing_delay_s, _deps().now()),
        zone=athlete.effective_timezone(),
        uploads=[_upload_row(result, units) for result in uploads or ()],
        upload_error=upload_error,
        max_upload=human_bytes(_upload_limit()),
    )
    return page, status


def _upload_limit() -> int:
    from service.web.uploads import upload_limits

    return upload_limits().max_bytes


def _upload_row(result: Any, units: str) -> dict[str, Any]:
    """One uploaded file's line in the results table (``service.uploads.ImportResult``)."""
    outcomes = {
        "imported": "Imported",
        "duplicate": "Already in your history",
        "not a run": "Not a run",
        "error": "Could not be read",
    }
    run = result.run
    return {
        "name": result.name,
        "ok": result.ok,
        "outcome": outcomes.get(result.status, result.status),
        "detail": result.error or result.detail,
        "when": run.local_start if run else None,
        "distance": format_distance(run.distance_m, units) if run else "",
        "suggestion": description.render_block(result.suggestion) if result.suggestion else None,
    }


def _as_policy_input(athlete: Athlete, values: dict[str, Any]) -> Athlete:
    """A detached copy of the athlete with the form's choices, for write_policy."""
    return Athlete(
        id=athlete.id, paused=values["paused"], write_mode=values.get("write_mode", "write")
    )


@bp.get("/settings")
def settings() -> Any:
    with _deps().session_factory() as db:
        athlete = signed_in(db)
        if athlete is None:
            return _sign_in_first()
        return _render_settings(db, athlete, _form_values(athlete))


@bp.post("/settings")
def save_settings() -> Any:
    """Save the form, or (the Preview button) show its note without saving."""
    with _deps().session_factory() as db:
        athlete = signed_in(db)
        if athlete is None:
            return _sign_in_first()
        values, errors = parse_form(request.form)
        if errors:
            return _render_settings(
                db, athlete, _form_values(athlete), errors=errors, unsaved=True, status=400
            )
        if request.form.get("action") == "preview":
            return _render_settings(db, athlete, values, unsaved=values != _form_values(athlete))
        for name, value in values.items():
            setattr(athlete, name, value)
        db.commit()
    session["saved"] = True
    return redirect(url_for("account.settings"), code=303)


# Leaving -------------------------------------------------------------------------


@bp.post("/signout")
def signout() -> Response:
    session.clear()
    return redirect(url_for("pages.index"), code=303)


@bp.post("/disconnect")
def disconnect() -> Response:
    """Revoke postrun's access on Strava and delete every row held about the athlete."""
    deps = _deps()
    with deps.session_factory() as db:
        athlete = signed_in(db)
        if athlete is None:
            return _sign_in_first()
        athlete_id = athlete.id
        revoked = True
        try:
            deps.strava.deauthorize(handlers.fresh_tokens(deps, db, athlete))
        except AccessRevoked:
            pass  # Strava no longer honours the token: access is gone already
        except (StravaError, TokenKeyError, requests.RequestException) as error:
            log.warning("deauthorizing athlete %s failed: %s", athlete_id, type(error).__name__)
            revoked = False
        db.rollback()
        handlers.forget_athlete(db, athlete_id)
        db.commit()
    session.clear()
    session["disconnected"] = "revoked" if revoked else "local"
    log.info("athlete %s disconnected; their data is deleted", athlete_id)
    return redirect(url_for("account.disconnected"), code=303)


@bp.get("/disconnected")
def disconnected() -> str:
    outcome = session.pop("disconnected", None)
    return render_template("disconnected.html", outcome=outcome)
