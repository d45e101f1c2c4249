"""The sandbox's pages for people: the consent page, the home page, the sign-in link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from sandbox import SandboxConfig
from sandbox import SandboxServer
from sandbox import create_app
from sandbox.cli import build_parser
from tests.sandbox.support import CLIENT_ID
from tests.sandbox.support import CLIENT_SECRET
from tests.sandbox.support import Control

ASKED = "read,activity:read_all,activity:write,profile:read_all"
AUTHORIZE = {
    "client_id": str(CLIENT_ID),
    "redirect_uri": "http://127.0.0.1:9/connect/callback",
    "response_type": "code",
    "approval_prompt": "auto",
    "scope": ASKED,
    "state": "s1",
}


@pytest.fixture
def page_mode(config: SandboxConfig) -> Iterator[tuple[SandboxServer, Control]]:
    """A sandbox started with ``--consent page``, and its control client."""
    config.auto_approve = False
    with SandboxServer(config) as server:
        control = Control(server.url)
        try:
            yield server, control
        finally:
            control.http.close()


def browser() -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    return http


def consent(http: requests.Session, base: str, **extra: str) -> requests.Response:
    page = http.get(f"{base}/oauth/authorize", params={**AUTHORIZE, **extra}, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    return page


def submit(http: requests.Session, base: str, page: str, **choices: Any) -> dict[str, list[str]]:
    """POST the page's form as a browser would: its hidden fields plus ``choices``."""
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    answer = http.post(
        f"{base}/oauth/authorize", data={**hidden, **choices}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE["redirect_uri"]
    return parse_qs(location.query)


def exchange(control: Control, code: str) -> dict[str, Any]:
    return control.post(
        "/oauth/token",
        expect=200,
        data={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
        },
    )


def athlete_count(control: Control) -> int:
    return len(re.findall(r'name="athlete_id" value="\d+"', consent(browser(), control.base).text))


ALL_SCOPES = ["activity:read_all", "activity:write", "profile:read_all"]


def test_the_page_lists_athletes_by_name_and_id_and_preselects_one(page_mode):
    _, control = page_mode
    ada = control.athlete(firstname="Ada", lastname="Runner")["athlete_id"]
    kip = control.athlete(firstname="Kip", lastname="Keino")["athlete_id"]
    control.activity(kip)

    page = consent(browser(), control.base, athlete_id=str(kip)).text

    assert "Ada Runner" in page
    assert f"athlete {ada}" in page
    assert "Kip Keino" in page
    assert f"athlete {kip} · 1 activity" in page
    checked = re.findall(r'value="(\w+)" required\s+checked', page)
    assert checked == [str(kip)]
    for scope in ALL_SCOPES:
        assert f'name="granted" value="{scope}" checked' in page
    assert "<script" not in page
    assert 'name="viewport" content="width=device-width' in page


def test_picking_an_existing_athlete_gives_a_code_for_them(page_mode):
    _, control = page_mode
    ada = control.athlete(firstname="Ada")["athlete_id"]
    http = browser()
    page = consent(http, control.base).text

    query = submit(
        http, control.base, page, athlete_id=str(ada), granted=ALL_SCOPES, decision="approve"
    )

    assert query["state"] == ["s1"]
    assert query["scope"] == [ASKED]
    token = exchange(control, query["code"][0])
    assert token["athlete"]["id"] == ada
    assert token["scope"] == ASKED
    assert athlete_count(control) == 1  # nobody new signed up


def test_a_new_athlete_signs_up_with_the_name_typed(page_mode):
    _, control = page_mode
    control.athlete(firstname="Ada")
    http = browser()
    page = consent(http, control.base).text

    query = submit(
        http,
        control.base,
        page,
        athlete_id="new",
        firstname="Eliud",
        lastname="Kipchoge",
        granted=ALL_SCOPES,
        decision="approve",
    )

    athlete = exchange(control, query["code"][0])["athlete"]
    assert (athlete["firstname"], athlete["lastname"]) == ("Eliud", "Kipchoge")
    assert athlete_count(control) == 2
    # The browser is now signed in as the newcomer: the next consent preselects them.
    again = consent(http, control.base).text
    assert re.findall(r'value="(\w+)" required\s+checked', again) == [str(athlete["id"])]


def test_unticking_a_scope_narrows_the_scope_in_the_redirect(page_mode):
    _, control = page_mode
    ada = control.athlete()["athlete_id"]
    http = browser()
    page = consent(http, control.base).text

    kept = ["activity:read_all", "profile:read_all"]
    query = submit(http, control.base, page, athlete_id=str(ada), granted=kept, decision="approve")

    assert query["scope"] == ["read,activity:read_all,profile:read_all"]
    assert exchange(control, query["code"][0])["scope"] == "read,activity:read_all,profile:read_all"


def test_cancel_redirects_with_access_denied_and_changes_nothing(page_mode):
    _, control = page_mode
    http = browser()
    page = consent(http, control.base).text

    query = submit(http, control.base, page, decision="deny")

    assert query == {"state": ["s1"], "error": ["access_denied"]}
    assert athlete_count(control) == 0


def test_a_get_never_approves_when_the_sandbox_asks(page_mode):
    _, control = page_mode
    page = consent(browser(), control.base, decision="approve").text
    assert "Authorize" in page
    assert athlete_count(control) == 0


def test_auto_approve_answers_at_once_unless_the_app_forces_the_prompt(sandbox, control):
    http = browser()
    answer = http.get(
        f"{sandbox.url}/oauth/authorize", params=AUTHORIZE, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    assert "code" in parse_qs(urlsplit(answer.headers["Location"]).query)

    forced = consent(http, sandbox.url, approval_prompt="force")
    assert 'name="decision" value="approve"' in forced.text


def test_the_sign_in_link_preselects_the_athlete_and_goes_on(page_mode):
    _, control = page_mode
    control.athlete(firstname="Ada")
    demo = control.athlete(firstname="Demo")["athlete_id"]
    http = browser()

    onward = http.get(
        f"{control.base}/login",
        params={"athlete_id": demo, "next": "http://127.0.0.1:9/connect"},
        allow_redirects=False,
        timeout=5,
    )

    assert onward.status_code == 302
    assert onward.headers["Location"] == "http://127.0.0.1:9/connect"
    page = consent(http, control.base).text
    assert re.findall(r'value="(\w+)" required\s+checked', page) == [str(demo)]
    unknown = http.get(f"{control.base}/login", params={"athlete_id": 999}, timeout=5)
    assert unknown.status_code == 404


def test_auto_approve_approves_as_the_signed_in_athlete(sandbox, control):
    demo = control.athlete(firstname="Demo")["athlete_id"]
    http = browser()
    http.get(f"{sandbox.url}/login", params={"athlete_id": demo}, timeout=5)

    answer = http.get(
        f"{sandbox.url}/oauth/authorize", params=AUTHORIZE, allow_redirects=False, timeout=5
    )

    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    assert exchange(control, code)["athlete"]["id"] == demo


def test_the_home_page_says_what_this_is_and_lists_athletes(sandbox, control):
    ada = control.athlete(firstname="Ada", lastname="Runner")["athlete_id"]
    for _ in range(3):
        control.activity(ada)
    control.athlete(firstname="Kip", lastname="Keino")

    home = browser().get(f"{sandbox.url}/", timeout=5)

    assert home.status_code == 200
    assert home.headers["Content-Type"].startswith("text/html")
    text = home.text
    assert "A local stand-in for Strava" in text
    assert "Ada Runner" in text
    assert f"athlete {ada}" in text
    assert "3 activities" in text
    assert "Kip Keino" in text
    assert "0 activities" in text
    link = re.search(r'href="(/oauth/authorize\?[^"]+)"', text)
    assert link, text
    page = browser().get(sandbox.url + link.group(1).replace("&amp;", "&"), timeout=5)
    assert page.status_code == 200
    assert "Ada Runner" in page.text  # the consent page, not an auto-approved redirect
    # Unknown paths still answer Strava's JSON 404.
    assert browser().get(f"{sandbox.url}/nowhere", timeout=5).json()["message"] == (
        "Record Not Found"
    )


def test_no_view_or_hook_is_a_closure():
    app = create_app(SandboxConfig())
    functions = list(app.view_functions.values())
    functions += [f for hooks in app.before_request_funcs.values() for f in hooks]
    functions += [f for hooks in app.after_request_funcs.values() for f in hooks]
    functions += [f for by_code in app.error_handler_spec[None].values() for f in by_code.values()]
    assert len(app.view_functions) >= 28
    for function in functions:
        assert "<locals>" not in function.__qualname__, function
        assert function.__module__.startswith("sandbox."), function


def test_consent_mode_on_the_command_line():
    parser = build_parser()
    assert parser.parse_args([]).consent == "auto"
    assert parser.parse_args(["--consent", "page"]).consent == "page"
    assert parser.parse_args(["--no-auto-approve"]).consent == "page"
