"""What the coaching needs to remember, and sessions that can be ended.

- ``activities.workout_type``: Strava's run type (1 race, 2 long run, 3 workout);
  NULL for rows stored before, which were read as ordinary runs.
- ``activities.circuit``: whether postrun's note prescribed the back circuit; the
  circuit progresses by the sessions counted from it. False for rows stored
  before, so every athlete starts at the article's 3 x 10.
- ``athletes.goal_race_date`` and ``athletes.goal_race_distance_m``: the race an
  athlete trains for, from the settings page.
- ``athletes.session_epoch``: raised by signing out or disconnecting, so every copy
  of an older session cookie stops working.

Added with ``ADD COLUMN`` (no batch copy), as in 0002, 0004 and 0005.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("workout_type", sa.Integer(), nullable=True))
    op.add_column(
        "activities",
        sa.Column("circuit", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("athletes", sa.Column("goal_race_date", sa.Date(), nullable=True))
    op.add_column("athletes", sa.Column("goal_race_distance_m", sa.Float(), nullable=True))
    op.add_column(
        "athletes",
        sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("athletes", "session_epoch")
    op.drop_column("athletes", "goal_race_distance_m")
    op.drop_column("athletes", "goal_race_date")
    op.drop_column("activities", "circuit")
    op.drop_column("activities", "workout_type")
