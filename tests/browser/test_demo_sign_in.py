"""The demo as a person first meets it: its sign-in link, in real Chromium, on a phone.

``postrun demo`` runs as a user starts it; the test follows the link it prints,
sees the sandbox's consent page with the demo athlete chosen, presses Authorize
and lands on that athlete's settings page with the runs the demo annotated.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from service.local.processes import postrun_command
from tests.e2e.test_demo import read_until_serving

pytestmark = pytest.mark.e2e


def test_the_demos_sign_in_link_opens_the_demo_athletes_settings(page, artifacts):
    folder = Path(tempfile.mkdtemp(prefix="pr-br-demo-"))
    demo = subprocess.Popen(
        [*postrun_command(), "demo", "--data-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        out = "".join(read_until_serving(demo))
        link = re.search(r"sign in as the demo athlete: (\S+)", out).group(1)

        page.goto(link)
        page.screenshot(path=str(artifacts / "phone-demo-consent.png"), full_page=True)
        chosen = page.locator("label.choice", has=page.locator("input[name=athlete_id]:checked"))
        assert chosen.count() == 1
        assert "Dana" in chosen.inner_text()
        page.get_by_role("button", name="Authorize").click()

        page.wait_for_url(re.compile(r"/settings$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Hi Dana"
        assert page.get_by_text("Note written to Strava").count() >= 5
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "phone-demo-settings.png"), full_page=True)
        page.get_by_test_id("preview").screenshot(path=str(artifacts / "phone-demo-preview.png"))
        page.locator("svg").first.screenshot(path=str(artifacts / "phone-demo-chart.png"))
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        demo.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)
