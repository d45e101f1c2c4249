"""docker-compose.yml cannot be started here (no Docker engine), so check it against the code.

Every service built from our image must run a real ``postrun`` command whose
options the command line accepts, with settings the code actually reads; the
end-to-end stack runs these same commands.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml

from service.cli.commands import main as postrun_cli
from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
OURS = {
    name: svc for name, svc in COMPOSE["services"].items() if svc.get("image") == "postrun:latest"
}


def test_expected_services_exist():
    assert set(COMPOSE["services"]) >= {"web", "worker", "beat", "redis", "postgres", "migrate"}
    assert set(OURS) == {"web", "worker", "beat", "migrate"}


@pytest.mark.parametrize("name", sorted(OURS))
def test_service_runs_a_real_postrun_command(name):
    command = OURS[name]["command"]
    assert command[0] == "postrun"

    context = postrun_cli.make_context("postrun", list(command[1:]), resilient_parsing=False)
    sub = postrun_cli.get_command(context, command[1])
    assert sub is not None, f"{name}: unknown postrun command {command[1]}"
    args = list(command[2:])
    if isinstance(sub, click.Group):
        sub = sub.get_command(context, args.pop(0))
    sub.make_context(command[1], args)  # raises on an option the command does not take


@pytest.mark.parametrize("name", sorted(OURS))
def test_service_environment_is_what_the_code_reads(name):
    known = set(
        Settings(
            strava_client_id=1,
            strava_client_secret="s",
            secret_key="k",
            token_key="k",
            strava_verify_token="v",
            public_url="https://postrun.example.org",
            strava_subscription_id=1,
        ).to_env()
    )

    assert set(OURS[name]["environment"]) <= known


def test_every_project_service_has_one_image_and_web_has_a_health_check():
    assert {svc["build"] for svc in OURS.values()} == {"."}
    assert "/up" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])
    for name in ("redis", "postgres", "web", "worker"):
        assert "healthcheck" in COMPOSE["services"][name]


def test_database_url_uses_an_installed_driver_extra():
    url = COMPOSE["x-app"]["environment"]["DATABASE_URL"]
    pyproject = (ROOT / "pyproject.toml").read_text()

    assert url.startswith("postgresql+psycopg://")
    assert re.search(r'postgres = \["psycopg\[binary\]', pyproject)


def test_dockerfile_default_command_is_postrun_serve():
    cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)

    assert cmd is not None
    assert cmd.group(1).startswith('["postrun", "serve"')


def test_flower_is_behind_a_profile_and_published_on_loopback_only():
    flower = COMPOSE["services"]["flower"]

    assert flower["profiles"] == ["flower"]
    assert all(port.startswith("127.0.0.1:") for port in flower["ports"])
    assert COMPOSE["services"]["web"]["ports"][0].startswith("127.0.0.1:")
