"""A local Strava sandbox: the subset of Strava's API postrun uses, with Strava's shapes.

It serves OAuth (a consent page, token exchange, refresh, deauthorization), activities
(get, update, list), push subscriptions with webhook delivery, rate-limit headers and
429s, and fault injection, plus ``/sandbox/...`` control endpoints for tests and demos
and a home page at ``/``. It talks to the rest of the project only over HTTP.

Layout: :mod:`sandbox.app` builds the Flask app from the blueprints in
:mod:`sandbox.views` (``front``, ``oauth``, ``api``, ``control``) over the state in
:mod:`sandbox.state`, split by concern.
"""

from sandbox.app import create_app
from sandbox.cli import main
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer", "create_app", "main"]
