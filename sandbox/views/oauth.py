"""``/oauth/...``: authorize (with its consent page), token exchange and refresh, deauthorize.

The flow is Strava's, https://developers.strava.com/docs/authentication/: the app sends
the athlete to ``/oauth/authorize``; approving redirects to ``redirect_uri`` with
``code``, ``scope`` and ``state``, cancelling with ``error=access_denied``; the app then
posts the code to ``/oauth/token``. stravalib posts the token and deauthorize calls
under ``/api/v3`` too, so both paths answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import redirect
from flask import request

from sandbox import payloads
from sandbox.errors import StravaFault
from sandbox.errors import bad_request
from sandbox.views import consent
from sandbox.views.common import access_token
from sandbox.views.common import params
from sandbox.views.common import sandbox_state

bp = Blueprint("oauth", __name__)

# What the sandbox grants when the app names no scope.
DEFAULT_REQUEST_SCOPE = "read,activity:read"


@bp.post("/oauth/token")
@bp.post("/api/v3/oauth/token")
def token() -> Any:
    return jsonify(sandbox_state().accounts.token(params()))


@bp.post("/oauth/deauthorize")
@bp.post("/api/v3/oauth/deauthorize")
def deauthorize() -> Any:
    return jsonify(sandbox_state().accounts.deauthorize(access_token()))


def _checked_redirect_uri(args: dict[str, Any]) -> str:
    """The redirect URI of a well-formed authorize request, else Strava's 400."""
    if str(args.get("client_id")) != str(sandbox_state().config.client_id):
        raise StravaFault(400, payloads.template("error_400_oauth-invalid-client.json"))
    redirect_uri = str(args.get("redirect_uri") or "")
    if urlsplit(redirect_uri).scheme not in {"http", "https"}:
        raise bad_request("Application", "redirect_uri", "invalid")
    if args.get("response_type", "code") != "code":
        raise bad_request("Application", "response_type", "invalid")
    return redirect_uri


def _shows_page(decision: Any) -> bool:
    """Whether this request gets the consent page rather than an answer.

    A GET changes nothing unless the sandbox auto-approves (``--consent auto``, the
    default), and even then ``approval_prompt=force`` asks, as it does on Strava. A POST
    without a decision is answered with the page when the sandbox does not auto-approve.
    """
    auto = sandbox_state().config.auto_approve
    if request.method == "GET":
        return not auto or request.args.get("approval_prompt") == "force"
    return decision is None and not auto


def _chosen_athlete(args: dict[str, Any]) -> int | None:
    """Who approves: ``athlete_id`` (an id, or "new" for a newcomer), else the signed-in one."""
    chosen = args.get("athlete_id")
    if chosen == "new":
        return None
    if not chosen:
        return consent.signed_in()
    if not str(chosen).isdigit():
        raise bad_request("Athlete", "athlete_id", "invalid")
    return int(chosen)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    """Strava's consent page, or its answer: a redirect back to the app.

    ``athlete_id`` (a sandbox extension) picks who approves; without it, the athlete
    this browser signed in as (see ``/login``), else a new athlete signs up.
    """
    args = params()
    redirect_uri = _checked_redirect_uri(args)
    requested = str(args.get("scope") or DEFAULT_REQUEST_SCOPE)
    decision = args.get("decision")
    if _shows_page(decision):
        return Response(consent.page(args, requested), mimetype="text/html")
    answer = {"state": args["state"]} if args.get("state") else {}
    athlete_id = None
    if decision == "deny":
        answer["error"] = "access_denied"
    else:
        on_page = consent.from_page()
        ticked = request.form.getlist("granted")
        scope = consent.granted_scope(requested, ticked) if on_page else requested
        newcomer = {k: args[k] for k in ("firstname", "lastname") if args.get(k)}
        approved = sandbox_state().accounts.authorize(_chosen_athlete(args), scope, newcomer)
        answer.update(code=approved["code"], scope=scope)
        athlete_id = approved["athlete_id"] if on_page else None
    parts = urlsplit(redirect_uri)
    query = f"{parts.query}&{urlencode(answer)}" if parts.query else urlencode(answer)
    response = redirect(urlunsplit(parts._replace(query=query)), code=302)
    return response if athlete_id is None else consent.sign_in(response, athlete_id)
