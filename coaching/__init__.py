"""The coaching core: runs in, a post-run back circuit and weekly-volume advice out.

Pure Python on purpose: nothing here imports Flask, Celery, SQLAlchemy or an HTTP
library, does I/O or reads the clock. Give it the same history and "today" and it
gives the same answer, which is what lets the web page, the worker and
``postrun suggest`` all print the same note.
"""

from coaching.model import AthleteSettings
from coaching.model import Run
from coaching.runs import is_finished_run
from coaching.suggest import Suggestion
from coaching.suggest import suggest

__all__ = ["AthleteSettings", "Run", "Suggestion", "is_finished_run", "suggest"]
