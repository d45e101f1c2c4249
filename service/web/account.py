"""The athlete's way in and out: connect with Strava, sign out, disconnect."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

import requests
from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.accounts.connect import MissingScope
from service.accounts.connect import connect_athlete
from service.accounts.forget import disconnect as disconnect_athlete
from service.storage.models import Athlete
from service.strava.errors import StravaError
from service.strava.http import STRAVA_ORIGIN
from service.web import context
from service.web.signin import athlete_page
from service.web.signin import end_sessions
from service.web.signin import sign_in
from service.web.signin import sign_out

log = logging.getLogger(__name__)

bp = Blueprint("account", __name__)


def _redirect_uri() -> str | None:
    """Where Strava sends the athlete back: from POSTRUN_PUBLIC_URL, never from the Host
    header a client chose (issue #13, item 11). Only the embedded default, on this
    machine with its ports chosen at start, builds it from the request."""
    settings = context.deps().settings
    if settings.public_url:
        return settings.public_url + url_for("account.callback")
    if settings.embedded:
        return url_for("account.callback", _external=True)
    return None


def _problem(title: str, message: str, status: int, reconnect: bool = True) -> Response:
    page = render_template("problem.html", title=title, message=message, reconnect=reconnect)
    response = Response(page, status=status, mimetype="text/html")
    # The callback URL holds a one-time code: no page may pass it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/connect")
def connect() -> Response:
    """Send the browser to Strava's consent page, with a state bound to this session."""
    deps = context.deps()
    redirect_uri = _redirect_uri()
    if redirect_uri is None:
        log.error("connecting needs POSTRUN_PUBLIC_URL (docs/operations.md#configuration)")
        return _problem(
            "Connecting is not set up",
            "This postrun does not know its public address yet (POSTRUN_PUBLIC_URL), "
            "so Strava could not send you back. Please tell whoever runs it.",
            500,
            reconnect=False,
        )
    state = secrets.token_urlsafe(32)
    session["oauth_state"] = state
    url = deps.strava.authorization_url(redirect_uri, state)
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
    deps = context.deps()
    try:
        # Strava always sends the granted scopes back; a callback without them (a
        # stripped query) is checked as granting none, so nothing is stored.
        athlete_id = connect_athlete(deps, code, request.args.get("scope", ""))
    except MissingScope as missing:
        return render_missing_scope(missing.missing)
    except (StravaError, requests.RequestException) as error:
        # The type only: an error text may quote the request, and the request held the code.
        status = _status(error)
        log.warning("Strava code exchange failed: %s %s", type(error).__name__, status or "")
        if status == 400:  # a code used already (a replayed callback), expired or unknown
            return _problem(
                "That sign-in link was used already",
                "Strava's sign-in links work once and only for a few minutes. "
                "Connect again to sign in.",
                400,
            )
        return _problem(
            "Strava did not answer as expected",
            "The connection could not be completed. Please try again in a minute.",
            502,
        )
    with deps.session_factory() as db:
        athlete = db.get(Athlete, athlete_id)
        assert athlete is not None
        sign_in(athlete)
    return redirect(url_for("account.settings"), code=303)


def _status(error: Exception) -> int | None:
    """The HTTP status of a failed Strava call, if it got an answer."""
    # A 4xx other than 401 and 429 reaches here as stravalib's own HTTPError.
    return getattr(getattr(error, "response", None), "status_code", None)


def render_missing_scope(missing: list[str]) -> Response:
    response = Response(
        render_template("missing_scope.html", missing=missing), status=403, mimetype="text/html"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/signout")
def signout() -> Response:
    sign_out()
    return redirect(url_for("pages.index"), code=303)


# The checkbox on the confirmation page: nothing is deleted without it.
CONFIRM_FIELD, CONFIRM_VALUE = "confirm", "yes"


@bp.get("/disconnect")
@athlete_page
def confirm_disconnect(db: Session, athlete: Athlete) -> Any:
    """The confirmation step: says what goes, asks for a tick. Changes nothing."""
    return render_template("disconnect.html", athlete=athlete, unticked=False)


@bp.post("/disconnect")
@athlete_page
def disconnect(db: Session, athlete: Athlete) -> Any:
    """Revoke postrun's access on Strava and delete every row held about the athlete."""
    if request.form.get(CONFIRM_FIELD) != CONFIRM_VALUE:
        return render_template("disconnect.html", athlete=athlete, unticked=True), 400
    athlete_id = athlete.id
    end_sessions(db, athlete_id)  # every cookie dies first, whatever the deletion does
    revoked = disconnect_athlete(context.deps(), athlete_id)
    session.clear()
    session["disconnected"] = "revoked" if revoked else "local"
    return redirect(url_for("account.disconnected"), code=303)


@bp.get("/disconnected")
def disconnected() -> str:
    outcome = session.pop("disconnected", None)
    return render_template("disconnected.html", outcome=outcome)
