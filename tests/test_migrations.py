"""upgrade head on an empty database, then Alembic's check finds no model drift;
downgrade to base and back works."""

from sqlalchemy import create_engine, inspect

from growapp.migrations_runner import check, downgrade, upgrade
from tests.helpers.databases import fresh_database


def test_upgrade_check_downgrade_roundtrip():
    url, drop = fresh_database("migrations")  # fresh_database runs upgrade head
    try:
        check(url)  # raises if autogenerate would produce anything
        engine = create_engine(url)
        assert "plants" in inspect(engine).get_table_names()
        engine.dispose()
        downgrade(url, "base")
        engine = create_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        upgrade(url)
        check(url)
    finally:
        drop()
