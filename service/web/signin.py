"""Who the browser is: the signed session cookie, and the decorator every athlete page uses.

No route takes an athlete or activity id: whose data a request sees comes from
the signed session cookie alone, so one athlete cannot name another's rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import redirect
from flask import session
from flask import url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.storage.models import Athlete
from service.web.context import deps


def sign_in(athlete: Athlete) -> None:
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


def sign_in_first() -> Response:
    return redirect(url_for("pages.index"), code=302)


def athlete_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view(db, athlete, ...)`` for the signed-in athlete; send anyone else home."""

    @functools.wraps(view)
    def page(*args: Any, **kwargs: Any) -> Any:
        with deps().session_factory() as db:
            athlete = signed_in(db)
            if athlete is None:
                return sign_in_first()
            return view(db, athlete, *args, **kwargs)

    return page
