"""The ``postrun`` command line: a group that loads each command only when it runs.

``postrun worker`` or ``postrun demo`` then imports what that command needs and
nothing else: the demo's own process stays small, and every server command
starts without first importing the web app, the sandbox and the file readers
(docs/operations.md#tuning). ``postrun --help`` loads them all to list them.
"""

from __future__ import annotations

import importlib

import click

# Each command and where it lives, in the order --help lists them.
COMMANDS = {
    "demo": "service.cli.local:demo",
    "serve": "service.cli.servers:serve",
    "worker": "service.cli.servers:worker",
    "beat": "service.cli.servers:beat",
    "db": "service.cli.servers:db",
    "subscribe": "service.cli.admin:subscribe",
    "subscriptions": "service.cli.admin:subscriptions",
    "unsubscribe": "service.cli.admin:unsubscribe",
    "events": "service.cli.admin:events",
    "gpx": "service.cli.gpx:gpx",
    "suggest": "service.cli.suggest:suggest",
    "sandbox": "service.cli.sandbox_server:sandbox",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (Click's documented lazy loading)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, name = target.split(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup)
def main() -> None:
    """postrun: a post-run back circuit and weekly-volume advice on every Strava run."""


if __name__ == "__main__":
    main()
