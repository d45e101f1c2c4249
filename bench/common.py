"""What every part of the benchmark shares: printing a figure, and talking to the stack."""

from __future__ import annotations

import time
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests

from service.local.stack import Stack


def say(name: str, value: object) -> None:
    """One figure per line, ``name value``: the benchmark's whole output format."""
    print(f"{name} {value}", flush=True)


def subscription(stack: Stack) -> int:
    """The stack's push subscription id, read afresh (another step may have replaced it)."""
    assert stack.deps is not None
    with stack.deps.session_factory() as session:
        return int(stack.deps.subscription_id(session, fresh=True) or 0)


def deliver_create(stack: Stack, owner: int, activity_id: int, subscription_id: int) -> None:
    """Post Strava's create event for an activity, as Strava would deliver it again."""
    event = {
        "aspect_type": "create",
        "event_time": int(time.time()),
        "object_id": activity_id,
        "object_type": "activity",
        "owner_id": owner,
        "subscription_id": subscription_id,
    }
    stack.http.post(f"{stack.web_url}/webhooks/strava", json=event, timeout=10)


def connect_in_browser(stack: Stack, athlete_id: int) -> requests.Session:
    """Connect a sandbox athlete as a person does: postrun's /connect, Strava's consent,
    the callback. Returns the browser's session, signed in. The web app queues the
    athlete's history import, as it does for anyone who connects."""
    browser = requests.Session()
    browser.trust_env = False
    consent = browser.get(f"{stack.web_url}/connect", allow_redirects=False).headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(consent).query).items()}
    query["athlete_id"] = str(athlete_id)
    approved = browser.get(
        f"{stack.sandbox_url}/oauth/authorize?{urlencode(query)}", allow_redirects=False
    )
    browser.get(approved.headers["Location"], allow_redirects=False).raise_for_status()
    return browser
