"""The worker's entry module: ``celery -A workers.make_celery worker`` (and ``beat``).

The only module that builds the app at import time, and only the Celery command
line imports it. Importing ``workers.tasks`` registers the task bodies the
service enqueues by name.
"""

from service.web.app import create_app
from workers import tasks
from workers.ingest import connect_ingest
from workers.threaded_beat import add_threaded_beat

flask_app = create_app(worker=True)
celery_app = flask_app.extensions["celery"]
connect_ingest(flask_app)
add_threaded_beat(celery_app)

__all__ = ["celery_app", "flask_app", "tasks"]
