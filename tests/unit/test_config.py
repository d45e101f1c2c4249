"""Settings from the environment: one table of names, read and written back alike."""

from __future__ import annotations

import dataclasses

import pytest

from service.config import ENV_NAMES
from service.config import ConfigError
from service.config import Settings


def test_every_setting_has_an_environment_variable():
    assert set(ENV_NAMES) == {field.name for field in dataclasses.fields(Settings)}


def test_to_env_and_from_env_round_trip():
    settings = Settings(
        database_url="postgresql+psycopg://u@h/db",
        redis_url="redis+socket:///tmp/r.sock",
        secret_key="s",
        strava_client_id=7,
        strava_client_secret="c",
        strava_verify_token="v",
        strava_base_url="http://127.0.0.1:1",
        strava_subscription_id=9,
        token_key="k",
        embedded=True,
        public_url="https://postrun.example.org",
        webhook_max_bytes=1000,
        task_max_retries=3,
        event_max_attempts=4,
        sweep_after_s=5,
        sweep_interval_s=6,
        not_found_grace_s=7,
        rate_window_s=8,
        processing_delay_s=0,
        reread_after_s=0.0,
        upload_max_mb=2,
        upload_request_max_mb=3,
    )

    assert Settings.from_env(settings.to_env()) == settings


def test_empty_or_zero_counts_mean_the_default_but_zero_delays_are_kept():
    read = Settings.from_env(
        {
            "POSTRUN_TASK_MAX_RETRIES": "0",
            "REDIS_URL": "",
            "POSTRUN_PROCESSING_DELAY_S": "0",
            "POSTRUN_REREAD_AFTER_S": "0",
        }
    )

    assert read.task_max_retries == Settings().task_max_retries
    assert read.redis_url == Settings().redis_url
    assert read.processing_delay_s == 0
    assert read.reread_after_s == 0


def test_public_url_loses_its_trailing_slash():
    assert Settings.from_env({"POSTRUN_PUBLIC_URL": "https://x.org/"}).public_url == "https://x.org"


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("STRAVA_CLIENT_ID", "abc", "STRAVA_CLIENT_ID must be a whole number"),
        ("POSTRUN_REREAD_AFTER_S", "soon", "POSTRUN_REREAD_AFTER_S must be a number"),
        ("POSTRUN_EMBEDDED", "maybe", "POSTRUN_EMBEDDED must be true or false"),
        ("POSTRUN_RATE_DAY_S", "-86400", "POSTRUN_RATE_DAY_S must be 0 or more"),
        ("POSTRUN_WEB_THREADS", "-1", "POSTRUN_WEB_THREADS must be 0 or more"),
        ("POSTRUN_WORKER_NICE", "-5", "POSTRUN_WORKER_NICE must be 0 or more"),
        ("POSTRUN_REREAD_AFTER_S", "-2", "POSTRUN_REREAD_AFTER_S must be 0 or more"),
        ("POSTRUN_REREAD_AFTER_S", "nan", "POSTRUN_REREAD_AFTER_S must be a finite number"),
        ("POSTRUN_REREAD_AFTER_S", "inf", "POSTRUN_REREAD_AFTER_S must be a finite number"),
        ("POSTRUN_UPLOAD_MAX_MB", "9" * 5000, "POSTRUN_UPLOAD_MAX_MB must be a whole number"),
    ],
)
def test_malformed_values_are_refused_with_the_name(name, raw, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: raw})
