"""Web security for the athlete pages: CSRF on every form, careful cookies, strict headers.

- Every POST, PUT, PATCH and DELETE needs a CSRF token (Flask-WTF), except the
  blueprints given as ``exempt`` (Strava's webhook cannot send one).
- The session cookie is HttpOnly and SameSite=Lax. Whether it is Secure follows
  ``POSTRUN_PUBLIC_URL``'s scheme, never the request's ``Host`` header, which any
  client (or a proxy that rewrites it to 127.0.0.1) chooses; without a public URL
  only the embedded default, served on this machine, goes without it
  (``secure_cookies()``, issue #13, item 11).
- Pages load nothing from elsewhere and may not be framed; no answer may be
  content-sniffed (``nosniff`` on every response).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import render_template
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect

from service.config import Settings

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

csrf = CSRFProtect()


def secure_cookies(settings: Settings) -> bool:
    """Whether the session cookie carries ``Secure``: from the configuration alone."""
    if settings.public_url:
        return urlsplit(settings.public_url).scheme == "https"
    return not settings.embedded


def init_app(app: Flask, settings: Settings, exempt: Iterable[Blueprint] = ()) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="postrun_session",
        SESSION_COOKIE_SECURE=secure_cookies(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        # The CSRF token lives as long as the session, not one hour: a settings page
        # left open over lunch still saves.
        WTF_CSRF_TIME_LIMIT=None,
    )
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
