"""The pages a person sees: the home page at ``/`` and the "sign in as" link ``/login``.

The consent page itself is served by ``/oauth/authorize`` (see :mod:`sandbox.views.oauth`
and :mod:`sandbox.views.consent`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from sandbox.state.accounts import DEFAULT_SCOPE
from sandbox.views import consent
from sandbox.views.common import sandbox_state

bp = Blueprint("front", __name__)


@bp.get("/")
def home() -> Any:
    """What this server is, its athletes and their activity counts, a way to the consent page.

    The consent link sends the answer back here, so ``code``/``scope`` or ``error`` in
    the query is shown as the result of trying it.
    """
    state = sandbox_state()
    counts = state.activities.counts()
    people = [{**p, "activities": counts.get(p["id"], 0)} for p in state.accounts.people()]
    back_here = url_for("front.home", _external=True)
    try_it = {
        "client_id": state.config.client_id,
        "redirect_uri": back_here,
        "response_type": "code",
        "scope": DEFAULT_SCOPE,
        "approval_prompt": "force",
    }
    return render_template(
        "home.html",
        people=people,
        signed_in=consent.signed_in(),
        consent_url=f"{url_for('oauth.authorize')}?{urlencode(try_it)}",
        answer={k: request.args[k] for k in ("code", "scope", "error") if k in request.args},
        auto_approve=state.config.auto_approve,
    )


@bp.get("/login")
def login() -> Any:
    """Sign this browser in as a sandbox athlete, then go on to ``next``.

    Only the browser's cookie changes, never the sandbox's state. The consent page then
    preselects the athlete, and auto-approval approves as them: the demo prints
    ``/login?athlete_id=N&next=<the app's connect URL>`` as its sign-in link.
    """
    athlete_id = request.args.get("athlete_id", "")
    if not athlete_id.isdigit() or not sandbox_state().accounts.exists(int(athlete_id)):
        abort(404)
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if parts.scheme not in {"http", "https"} and not (target.startswith("/") and not parts.netloc):
        target = url_for("front.home")
    return consent.sign_in(redirect(target, code=302), int(athlete_id))
