"""A local Strava sandbox: the subset of Strava's API postrun uses, with Strava's shapes.

It serves OAuth (token exchange, refresh, deauthorization), activities (get, update,
list), push subscriptions with webhook delivery, rate-limit headers and 429s, and fault
injection, plus ``/sandbox/...`` control endpoints for tests and demos. It talks to the
rest of the project only over HTTP.
"""

from sandbox.app import create_app
from sandbox.cli import main
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer", "create_app", "main"]
