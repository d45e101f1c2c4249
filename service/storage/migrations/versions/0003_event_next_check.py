"""Events remember when the sweeper may next re-enqueue them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of a table on SQLite is not needed for this.
    op.add_column("events", sa.Column("next_check_at", sa.DateTime(), nullable=True))
    op.create_index("ix_events_status_next_check", "events", ["status", "next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_events_status_next_check", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("next_check_at")
