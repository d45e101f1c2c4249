"""The consent page: who is signing in, which scopes they grant, and how its form reads.

It stands in for Strava's "Authorize" page described at
https://developers.strava.com/docs/authentication/: the athlete sees the scopes the app
asks for, may untick some ("Apps should check which scopes a user has accepted"), and
approves or cancels. The sandbox adds a choice of athlete, since nobody is logged in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import render_template
from flask import request
from werkzeug.wrappers import Response

from sandbox.views.common import sandbox_state

# Strava grants ``read`` whatever the athlete unticks.
REQUIRED_SCOPE = "read"
# What each scope lets the app do, in the words of Strava's scope table.
SCOPE_TEXT = {
    "read": "Your public profile, segments, routes, posts and club feeds",
    "read_all": "Your private routes, segments and events",
    "profile:read_all": "Your whole profile, even if only followers or you can see it",
    "profile:write": "Change your weight and FTP, star and unstar segments",
    "activity:read": "Activities that everyone or your followers can see",
    "activity:read_all": "All your activities, including Only You ones and privacy zones",
    "activity:write": "Create activities and edit the ones the app can read",
}
# The authorize parameters the form carries back unchanged.
PASSED_ON = ("client_id", "redirect_uri", "response_type", "approval_prompt", "scope", "state")
# The browser's "logged in as" athlete, set by /login and by approving on the page.
SIGNED_IN_COOKIE = "strava_sandbox_athlete"
# A year: the "logged in" athlete outlives a browser restart, as on strava.com.
SIGNED_IN_MAX_AGE_S = 365 * 86400
# The hidden field that says a POST comes from the page, so its checkboxes count.
FROM_PAGE = ("consent", "page")


def scopes_of(scope: str) -> list[str]:
    """The scopes of a comma-separated ``scope``, in order, each once."""
    return list(dict.fromkeys(part.strip() for part in scope.split(",") if part.strip()))


def granted_scope(requested: str, ticked: list[str]) -> str:
    """The requested scopes left ticked, with ``read`` kept: the redirect's ``scope``."""
    kept = [s for s in scopes_of(requested) if s == REQUIRED_SCOPE or s in ticked]
    return ",".join(kept) or REQUIRED_SCOPE


def from_page() -> bool:
    return request.values.get(FROM_PAGE[0]) == FROM_PAGE[1]


def signed_in() -> int | None:
    """The athlete this browser signed in as, if they still exist."""
    value = request.cookies.get(SIGNED_IN_COOKIE, "")
    if value.isdigit() and sandbox_state().accounts.exists(int(value)):
        return int(value)
    return None


def sign_in(response: Response, athlete_id: int) -> Response:
    """Remember in the browser's cookie who signed in (the sandbox's state is untouched)."""
    response.set_cookie(
        SIGNED_IN_COOKIE, str(athlete_id), max_age=SIGNED_IN_MAX_AGE_S, samesite="Lax"
    )
    return response


def page(args: dict[str, Any], requested: str) -> str:
    """The HTML consent page for an authorize request (validated already)."""
    state = sandbox_state()
    counts = state.activities.counts()
    people = [{**p, "activities": counts.get(p["id"], 0)} for p in state.accounts.people()]
    wanted = str(args.get("athlete_id") or "")
    missing = None
    if wanted.isdigit() and state.accounts.exists(int(wanted)):
        chosen: int | str | None = int(wanted)
    else:
        missing = wanted or None
        chosen = signed_in() or (None if people else "new")
    return render_template(
        "consent.html",
        client_id=state.config.client_id,
        hidden={k: args[k] for k in PASSED_ON if args.get(k)},
        from_page=FROM_PAGE,
        people=people,
        chosen=chosen,
        missing=missing,
        scopes=[(s, SCOPE_TEXT.get(s, s), s == REQUIRED_SCOPE) for s in scopes_of(requested)],
        redirect_host=urlsplit(str(args.get("redirect_uri"))).netloc,
    )
