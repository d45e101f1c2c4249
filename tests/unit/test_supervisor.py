"""The embedded supervisor: children are stopped, and restartable ones revived."""

from __future__ import annotations

import signal
import sys

import pytest

from service.local.embedded import StartError
from service.local.embedded import Supervisor
from service.local.embedded import wait_until

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
QUITTER = [sys.executable, "-c", "raise SystemExit(3)"]


def test_a_restartable_child_that_dies_is_started_again():
    supervisor = Supervisor()
    try:
        first = supervisor.start("worker", SLEEPER, restart=True)
        first.send_signal(signal.SIGKILL)  # dies on its own, as far as the supervisor knows

        wait_until(lambda: supervisor.children[0][1].pid != first.pid, 10, "a new worker")
        supervisor.check_alive()
    finally:
        supervisor.stop_all()

    assert supervisor.children == []


def test_a_crash_looping_child_is_reported_dead():
    supervisor = Supervisor()
    try:
        supervisor.start("worker", QUITTER, restart=True)

        def reported():
            try:
                supervisor.check_alive()
            except StartError:
                return True
            return False

        wait_until(reported, 15, "the crash loop to be reported")
    finally:
        supervisor.stop_all()


def test_an_ordinary_child_that_dies_is_an_error_and_stays_dead():
    supervisor = Supervisor()
    try:
        child = supervisor.start("web", QUITTER)
        child.wait(10)

        with pytest.raises(StartError, match="web exited with status 3"):
            supervisor.check_alive()
    finally:
        supervisor.stop_all()


def test_a_deliberate_kill_is_not_undone():
    supervisor = Supervisor()
    try:
        supervisor.start("worker", SLEEPER, restart=True)
        supervisor.kill("worker")

        assert supervisor.children == []
    finally:
        supervisor.stop_all()
