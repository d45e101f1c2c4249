"""Athlete settings (pause, write mode, volume advice), backfill status, encrypted tokens.

Tokens written by 0001 are plaintext; this revision encrypts them in place with
the first key of ``POSTRUN_TOKEN_KEY`` (or the key ``migrate.upgrade`` was given),
and the downgrade decrypts them again. Either direction refuses to run without a
key when there are athletes to convert, so no token is ever left unreadable.

The columns are added with ``ADD COLUMN`` rather than a batch copy: on SQLite a
batch copy drops the athletes table, and with foreign keys on that would cascade
into every stored activity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import InvalidToken

from service.config import Settings
from service.storage.crypto import TokenCipher

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _new_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("write_mode", sa.String(10), nullable=False, server_default="write"),
        sa.Column("include_volume", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("backfill_status", sa.String(16), nullable=False, server_default="none"),
        sa.Column("backfilled_at", sa.DateTime(), nullable=True),
    ]


athletes = sa.table(
    "athletes",
    sa.column("id", sa.BigInteger()),
    sa.column("access_token", sa.String()),
    sa.column("refresh_token", sa.String()),
)


def _cipher() -> TokenCipher | None:
    config = op.get_context().config
    given = config.attributes.get("token_key") if config is not None else None
    key = given or Settings.from_env().token_key
    return TokenCipher(key) if key else None


def _key_for(direction: str) -> TokenCipher | None:
    """The cipher, checked before any DDL: SQLite cannot roll a failed migration back."""
    count = op.get_bind().execute(sa.select(sa.func.count()).select_from(athletes)).scalar()
    if not count:
        return None
    cipher = _cipher()
    if cipher is None:
        raise RuntimeError(f"set POSTRUN_TOKEN_KEY: {count} athlete(s) hold tokens to {direction}")
    return cipher


def _convert(cipher: TokenCipher | None, change: Callable[[TokenCipher, str], str]) -> None:
    if cipher is None:
        return
    bind = op.get_bind()
    for row in bind.execute(sa.select(athletes)).all():
        bind.execute(
            athletes.update()
            .where(athletes.c.id == row.id)
            .values(
                access_token=change(cipher, row.access_token),
                refresh_token=change(cipher, row.refresh_token),
            )
        )


def _encrypt(cipher: TokenCipher, value: str) -> str:
    try:
        cipher.decrypt(value)
    except (ValueError, InvalidToken):
        return cipher.encrypt(value)
    return value  # already encrypted (a re-run after a partial upgrade)


def upgrade() -> None:
    cipher = _key_for("encrypt")
    for column in _new_columns():
        op.add_column("athletes", column)
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        for name in ("access_token", "refresh_token"):
            op.alter_column("athletes", name, type_=sa.String(512), existing_type=sa.String(255))
    _convert(cipher, _encrypt)


def downgrade() -> None:
    _convert(_key_for("decrypt"), lambda cipher, value: cipher.decrypt(value))
    if op.get_bind().dialect.name != "sqlite":
        for name in ("access_token", "refresh_token"):
            op.alter_column("athletes", name, type_=sa.String(255), existing_type=sa.String(512))
    for column in reversed(_new_columns()):
        op.drop_column("athletes", column.name)
