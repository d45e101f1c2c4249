"""Runs imported from GPX and FIT files: where an activity came from, and its file's name.

``source`` is "strava" for every row before this revision (and for everything the
webhook pipeline and the backfill store), "file" for a run imported from a file.
The columns are added with ``ADD COLUMN`` (no batch copy), as in 0002.

The downgrade deletes the imported file runs first: without ``source`` they would
pass for Strava activities.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

activities = sa.table("activities", sa.column("source", sa.String()))


def upgrade() -> None:
    op.add_column(
        "activities",
        sa.Column("source", sa.String(10), nullable=False, server_default="strava"),
    )
    op.add_column("activities", sa.Column("file_name", sa.String(255), nullable=True))


def downgrade() -> None:
    op.execute(activities.delete().where(activities.c.source == "file"))
    op.drop_column("activities", "file_name")
    op.drop_column("activities", "source")
