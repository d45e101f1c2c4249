"""The Celery worker: task bodies (``workers.tasks``) and the inbox ingestor.

The worker process starts from ``workers.make_celery``. ``workers`` depends on
``service``; the service enqueues by task name and never imports this package.
"""
