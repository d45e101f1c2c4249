"""Celery beat's entry module: ``celery -A workers.beat beat``, run by ``postrun beat``.

Beat only sends tasks by name on a schedule (docs/operations.md#beat-jobs), so it
builds Celery from the settings and the schedule alone: no Flask app, no task
bodies, no Strava client, and about a third of a worker's memory.
"""

from celery import Celery

from service.config import Settings
from service.web.celery_config import celery_config
from service.web.celery_config import use_postrun_logs

celery_app = Celery("postrun")
celery_app.config_from_object(celery_config(Settings.from_env(), worker=True))
use_postrun_logs()

__all__ = ["celery_app"]
