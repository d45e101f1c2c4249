"""Schema migrations with Alembic, configured in code (no alembic.ini to keep in step)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is ConfigParser-based: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head", token_key: str | None = None) -> None:
    """Create or migrate the schema. Run once, before any web or worker process forks.

    ``token_key`` encrypts tokens stored before 0002; without it the migration reads
    ``POSTRUN_TOKEN_KEY``.
    """
    config = alembic_config(database_url)
    config.attributes["token_key"] = token_key
    command.upgrade(config, revision)


def downgrade(database_url: str, revision: str, token_key: str | None = None) -> None:
    config = alembic_config(database_url)
    config.attributes["token_key"] = token_key
    command.downgrade(config, revision)
