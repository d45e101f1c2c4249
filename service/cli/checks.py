"""The whole configuration, checked before a command starts anything.

Every command that needs settings calls ``checked_settings()`` first: it lists
every missing or malformed variable in one message, says how to make each one,
and exits with status 2 before any file, folder, server or worker exists
(docs/operations.md#configuration).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import sys
from collections.abc import Mapping

import click

from service.config import ENV_NAMES
from service.config import ConfigError
from service.config import Settings
from service.config import parse_bool
from service.config import sqlite_path

MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"  # noqa: S105 (a command)
MAKE_FERNET = (
    "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
MAKE_TOKEN = "python3 -c 'import secrets; print(secrets.token_urlsafe(16))'"  # noqa: S105 (a command)
STRAVA_APP = "https://www.strava.com/settings/api"
# What a running postrun cannot do without, and how to get each one.
REQUIRED = {
    "SECRET_KEY": f"signs the athletes' sessions; make one with {MAKE_SECRET}",
    "POSTRUN_TOKEN_KEY": f"encrypts Strava tokens at rest; make one with {MAKE_FERNET}",
    "STRAVA_CLIENT_ID": f"your Strava app's Client ID, from {STRAVA_APP}",
    "STRAVA_CLIENT_SECRET": f"your Strava app's Client Secret, from {STRAVA_APP}",
    "STRAVA_VERIFY_TOKEN": f"any random string you pick; make one with {MAKE_TOKEN}",
    # The OAuth redirect and the webhook's callback are built from it, never from a
    # request's Host header (docs/operations.md#reverse-proxy-and-https).
    "POSTRUN_PUBLIC_URL": "the https origin athletes and Strava reach, e.g. https://postrun.example.org",
}
STRAVA = frozenset(
    {"STRAVA_CLIENT_ID", "STRAVA_CLIENT_SECRET", "STRAVA_VERIFY_TOKEN", "POSTRUN_PUBLIC_URL"}
)
# The embedded default (`postrun demo`, the test stack) brings its own of these.
EMBEDDED_PROVIDES = frozenset(REQUIRED) - {"POSTRUN_TOKEN_KEY"}


def _is_fernet_key(raw: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(raw.strip().encode())) == 32
    except (binascii.Error, ValueError):
        return False


def problems(environ: Mapping[str, str], strava: bool = True) -> list[str]:
    """One line per missing or malformed variable, in the order of REQUIRED, then the rest.

    ``strava``: the command talks to Strava, so the app's credentials are needed too.
    """
    found: list[str] = []
    try:
        embedded = parse_bool("POSTRUN_EMBEDDED", environ.get("POSTRUN_EMBEDDED", ""))
    except ConfigError:
        embedded = False
    for name, why in REQUIRED.items():
        if name in STRAVA and not strava:
            continue
        if not environ.get(name, "").strip() and not (embedded and name in EMBEDDED_PROVIDES):
            found.append(f"{name} is not set: {why}")
    keys = [k for k in environ.get("POSTRUN_TOKEN_KEY", "").split(",") if k.strip()]
    if any(not _is_fernet_key(key) for key in keys):
        found.append(f"POSTRUN_TOKEN_KEY is not a Fernet key; make one with {MAKE_FERNET}")
    for field in dataclasses.fields(Settings):
        name = ENV_NAMES[field.name]
        if environ.get(name, "") == "":
            continue
        try:
            Settings.from_env({name: environ[name]})
        except ConfigError as error:
            found.append(str(error))
    return found


def checked_settings(strava: bool = True) -> Settings:
    """The settings, or one message naming every problem and exit status 2.

    The default SQLite file's folder is made (owner-only) only once all is well.
    """
    found = problems(os.environ, strava)
    if found:
        context = click.get_current_context(silent=True)
        command = context.command_path if context is not None else "postrun"
        lines = "\n".join(f"  {line}" for line in found)
        click.echo(
            f"{command}: cannot start, the configuration is incomplete:\n{lines}\n"
            "Set these in the environment (compose reads .env); every setting is in "
            "docs/operations.md#configuration.",
            err=True,
        )
        sys.exit(2)
    settings = Settings.from_env()
    database = sqlite_path(settings.database_url)
    if database is not None:
        database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return settings
