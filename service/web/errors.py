"""Error answers: a styled page for people, JSON for Strava's webhook and the machine paths.

A person who follows a stale link or meets a bug gets a page in the site's own
look, with a way home; the webhook, the health checks and anything asking for JSON
get ``{"error": ...}`` as before. Redirects raised by routing never reach here.
"""

from __future__ import annotations

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed

# Paths read by programs, never by a person's browser.
MACHINE_PATHS = ("/webhooks/", "/api/", "/up", "/metrics", "/ping")

PAGES = {
    404: (
        "Page not found",
        "There is no page at this address: the link may be mistyped or out of date.",
    ),
    405: (
        "This page cannot be opened that way",
        "It is reached from a button on another page, not by its address.",
    ),
    500: (
        "Something went wrong on our side",
        "postrun could not finish this request, and the error is logged. "
        "Please try again in a minute.",
    ),
}


def wants_json() -> bool:
    if request.path.startswith(MACHINE_PATHS):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(error: HTTPException) -> Response:
    status = error.code or 500
    if wants_json():
        response = jsonify(error=error.description or error.name)
    else:
        title, message = PAGES.get(status, (error.name, error.description or ""))
        page = render_template("error.html", status=status, title=title, message=message)
        response = Response(page, mimetype="text/html")
    response.status_code = status
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def init_app(app: Flask) -> None:
    # HTTPException covers 500 too: Flask wraps an unhandled error in one, after logging it.
    app.register_error_handler(HTTPException, error_response)
