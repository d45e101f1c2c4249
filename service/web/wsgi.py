"""gunicorn's entry point: ``service.web.wsgi:app``, the app built from the environment.

With ``--preload`` it is built once in gunicorn's master and every worker forks
from it. Freezing the objects that exist at that moment keeps the garbage
collector from writing to them in each worker, so their pages stay shared
instead of being copied per worker (docs/operations.md#tuning).
"""

import gc

from service.web.app import create_app

app = create_app()
gc.freeze()
