"""Alembic migrations, up and down, on whichever database the suite runs against."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.storage import migrate
from service.storage.db import make_engine
from service.storage.models import Base


def tables(url):
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(database_url):
    assert tables(database_url) >= {"athletes", "events", "activities", "app_state"}

    migrate.downgrade(database_url, "base")
    assert tables(database_url) == set()

    migrate.upgrade(database_url)
    assert tables(database_url) >= {"athletes", "events", "activities", "app_state"}


def test_each_step_downgrades_cleanly(database_url):
    script_revisions = [
        rev.revision
        for rev in reversed(list(migrate_script(database_url).walk_revisions("base", "heads")))
    ]
    for revision in reversed(script_revisions[:-1]):
        migrate.downgrade(database_url, revision)
    migrate.downgrade(database_url, "base")
    for revision in script_revisions:
        migrate.upgrade(database_url, revision)

    assert schema_drift(database_url) == []


def test_models_and_migrations_agree(database_url):
    assert schema_drift(database_url) == []


def migrate_script(url):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config(url))


def schema_drift(url):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
