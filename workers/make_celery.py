"""The worker's entry module: ``celery -A workers.make_celery worker``.

The only module that builds the app at import time, and only the Celery command
line imports it.
"""

from service.web.app import create_app

flask_app = create_app(worker=True)
celery_app = flask_app.extensions["celery"]
