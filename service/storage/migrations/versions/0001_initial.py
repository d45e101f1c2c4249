"""Athletes, webhook events, activities and app state.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "athletes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("firstname", sa.String(100), nullable=False),
        sa.Column("access_token", sa.String(255), nullable=False),
        sa.Column("refresh_token", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("measurement_preference", sa.String(10), nullable=True),
        sa.Column("units", sa.String(10), nullable=False),
        sa.Column("equipment", sa.String(10), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("circuits_per_week", sa.Integer(), nullable=False),
        sa.Column("needs_reauth", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("aspect_type", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("event_time", sa.BigInteger(), nullable=False),
        sa.Column("updates", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(255), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_events_owner_id", "events", ["owner_id"])
    op.create_index("ix_events_status", "events", ["status"])
    op.create_table(
        "activities",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sport_type", sa.String(40), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("moving_time_s", sa.Integer(), nullable=False),
        sa.Column("is_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("written_block", sa.Text(), nullable=True),
        sa.Column("annotated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["athlete_id"], ["athletes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activities_athlete_id", "activities", ["athlete_id"])
    op.create_index("ix_activities_athlete_start", "activities", ["athlete_id", "start"])
    op.create_table(
        "app_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("app_state")
    op.drop_index("ix_activities_athlete_start", table_name="activities")
    op.drop_index("ix_activities_athlete_id", table_name="activities")
    op.drop_table("activities")
    op.drop_index("ix_events_status", table_name="events")
    op.drop_index("ix_events_owner_id", table_name="events")
    op.drop_table("events")
    op.drop_table("athletes")
