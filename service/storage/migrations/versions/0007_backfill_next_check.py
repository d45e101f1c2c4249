"""The sweeper can find an eight-week import whose task was lost.

- ``athletes.backfill_next_check_at``: while the import is pending, when the
  sweeper may enqueue it again. NULL for the rows stored before: an import still
  pending then is enqueued again at the first sweep (running it twice is harmless).

Added with ``ADD COLUMN`` (no batch copy), as in 0002, 0004, 0005 and 0006.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("athletes", sa.Column("backfill_next_check_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("athletes", "backfill_next_check_at")
