"""Web security for the athlete pages: CSRF on every form, careful cookies, strict headers.

- Every POST, PUT, PATCH and DELETE needs a CSRF token (Flask-WTF), except the
  blueprints given as ``exempt`` (Strava's webhook cannot send one).
- The session cookie is HttpOnly and SameSite=Lax, and Secure whenever the request
  did not come to localhost, decided per request (behind a TLS proxy the Host is
  the public name, so the cookie is Secure there).
- Pages load nothing from elsewhere and may not be framed; no answer may be
  content-sniffed (``nosniff`` on every response).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import render_template
from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

csrf = CSRFProtect()


def is_local(host: str) -> bool:
    """True for localhost, 127.0.0.1 and ::1, with or without a port."""
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:8000
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name in LOCAL_HOSTS or name.endswith(".localhost")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure everywhere but on this machine."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or not is_local(request.host)


def init_app(app: Flask, exempt: Iterable[Blueprint] = ()) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="postrun_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        # The CSRF token lives as long as the session, not one hour: a settings page
        # left open over lunch still saves.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return (
            render_template(
                "problem.html",
                title="This form has expired",
                message="The page was open too long or came from another site. "
                "Go back, reload the page and try again.",
            ),
            400,
        )

    @app.after_request
    def headers(response: Response) -> Response:
        # No browser may guess a type for any answer (a text body, JSON, the metrics).
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            # Pages show an athlete's own data: never from a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
