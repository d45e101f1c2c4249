"""Who the browser is: the signed session cookie, and the decorator every athlete page uses.

No route takes an athlete or activity id: whose data a request sees comes from
the signed session cookie alone, so one athlete cannot name another's rows.

A cookie is a signed copy that the browser keeps; the server cannot take it
back. So each session names the generation it belongs to: the athlete's
``created_at`` (a disconnect deletes the row, and a later connect makes a new
one) and their ``session_epoch`` (raised by signing out). A cookie of an older
generation signs nobody in, however many copies of it exist (issue #13, item 7).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
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
    session["epoch"] = athlete.session_epoch
    session.permanent = True


def signed_in(db: Session) -> Athlete | None:
    """The athlete this browser is signed in as, or None (and a stale session is cleared)."""
    athlete_id = session.get("athlete_id")
    if not isinstance(athlete_id, int):
        return None
    athlete = db.get(Athlete, athlete_id)
    if (
        athlete is None
        or session.get("since") != athlete.created_at.isoformat()
        or session.get("epoch") != athlete.session_epoch
    ):
        session.clear()
        return None
    return athlete


def end_sessions(db: Session, athlete_id: int) -> None:
    """Sign the athlete out everywhere: every cookie issued so far stops working."""
    db.execute(
        sa.update(Athlete)
        .where(Athlete.id == athlete_id)
        .values(session_epoch=Athlete.session_epoch + 1)
    )
    db.commit()


def sign_out() -> None:
    """End this browser's session, and every copy of it (``POST /signout``)."""
    with deps().session_factory() as db:
        athlete = signed_in(db)
        if athlete is not None:
            end_sessions(db, athlete.id)
    session.clear()


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
