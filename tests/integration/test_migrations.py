"""Alembic migrations, up and down, on whichever database the suite runs against."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.pipeline.admin import claim_stale_backfills
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


def test_0007_leaves_an_import_pending_before_it_to_the_first_sweep(database_url, deps):
    """An import pending when 0007 runs may have lost its task: the sweeper enqueues it."""
    deps.session_factory.kw["bind"].dispose()
    migrate.downgrade(database_url, "0006")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO athletes (id, firstname, access_token, refresh_token,"
                    " expires_at, scope, units, equipment, level, circuits_per_week,"
                    " needs_reauth, backfill_status, created_at) VALUES (7, 'Old', 'a', 'r',"
                    " 0, '', 'strava', 'gym', 'auto', 3, :no, 'pending', :created)"
                ),
                {"no": False, "created": datetime(2026, 11, 1)},
            )
        migrate.upgrade(database_url)
        with engine.connect() as connection:
            check = sa.text("SELECT backfill_next_check_at FROM athletes WHERE id = 7")
            assert connection.execute(check).scalar_one() is None

        assert claim_stale_backfills(deps) == [7]
        assert claim_stale_backfills(deps) == []
        deps.session_factory.kw["bind"].dispose()

        migrate.downgrade(database_url, "0006")
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("athletes")}
            status = sa.text("SELECT backfill_status FROM athletes WHERE id = 7")
            assert connection.execute(status).scalar_one() == "pending"
        assert "backfill_next_check_at" not in columns
    finally:
        engine.dispose()
    migrate.upgrade(database_url)
