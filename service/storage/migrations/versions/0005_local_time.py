"""The athlete's calendar and the backfill's progress.

- ``activities.utc_offset_s``: the offset of the athlete's clock when the run
  started (Strava's ``utc_offset``, or what a file's timestamps imply); 0 for the
  rows stored before, which is what they were counted with (UTC days).
- ``athletes.timezone``: IANA name from the athlete's latest Strava activity;
  NULL means UTC.
- ``athletes.backfill_found``: runs the eight-week import has found so far.

Added with ``ADD COLUMN`` (no batch copy), as in 0002 and 0004.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "activities",
        sa.Column("utc_offset_s", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("athletes", sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column(
        "athletes",
        sa.Column("backfill_found", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("athletes", "backfill_found")
    op.drop_column("athletes", "timezone")
    op.drop_column("activities", "utc_offset_s")
