"""Web processes give up quickly on a dead broker; workers keep reconnecting."""

from __future__ import annotations

from service.config import Settings
from service.web.app import celery_config


def test_web_publishes_fail_fast():
    config = celery_config(Settings(), worker=False)

    assert config["broker_transport_options"]["max_retries"] == 1
    assert config["broker_connection_timeout"] <= 1


def test_workers_keep_celerys_patient_reconnection():
    config = celery_config(Settings(), worker=True)

    assert "max_retries" not in config["broker_transport_options"]
    assert "broker_connection_timeout" not in config


def test_late_acks_and_a_visibility_timeout_longer_than_any_countdown():
    from workers.tasks import MAX_COUNTDOWN_S

    config = celery_config(Settings(), worker=True)

    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["broker_transport_options"]["visibility_timeout"] > MAX_COUNTDOWN_S + 600


def test_upload_limits_come_from_the_environment():
    from service.files import Limits
    from service.web.app import create_app

    settings = Settings.from_env(
        {
            "POSTRUN_UPLOAD_MAX_MB": "3",
            "POSTRUN_UPLOAD_REQUEST_MAX_MB": "7",
            "SECRET_KEY": "k",
            "POSTRUN_TOKEN_KEY": "Bx1HkbnHAYmWhBO9gVdS3HgHNnwLyBoi9pbq4xIrbvA=",
            "DATABASE_URL": "sqlite://",
        }
    )
    app = create_app(settings)

    assert app.config["POSTRUN_UPLOAD_LIMITS"] == Limits(
        max_bytes=3 * 1024 * 1024, max_request_bytes=7 * 1024 * 1024
    )
    app.extensions["postrun.engine"].dispose()


def test_a_deferral_gets_enough_retries_to_outlast_its_cause():
    from service.pipeline.errors import RetryLater
    from service.pipeline.processing import BACKFILL_WAIT
    from workers.tasks import retry_plan

    settings = Settings()
    for error in (
        RetryLater("activity not readable yet", 30.0, settings.not_found_grace_s),
        RetryLater("waiting for the eight-week import", 20.0, BACKFILL_WAIT.total_seconds()),
    ):
        countdown, tries = retry_plan(settings, error, 0)
        assert error.retry_after_s <= countdown <= error.retry_after_s + 5
        # Even if every countdown were the shortest, the tries span the whole patience.
        assert tries * error.retry_after_s > error.patience_s
