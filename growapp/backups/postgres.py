"""PostgreSQL side of backups, driving the client tools: ``pg_dump --format=custom`` of a
snapshot exported from a REPEATABLE READ transaction (so the row counts in the manifest
are those of the dump), and a restore that drops the schema and replays the dump through
``psql --single-transaction``: it replaces everything or nothing.

The connection comes from the SQLAlchemy URL; the password travels in PGPASSWORD, never on
a command line other users can read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from .errors import BackupError

TOOLS = ("pg_dump", "pg_restore", "psql")


def _libpq(url: str) -> tuple[str, dict]:
    """(a libpq connection URI without the password, environment with PGPASSWORD)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found. Install the PostgreSQL client tools "
                          "(Debian/Ubuntu: postgresql-client; Fedora: postgresql; macOS: "
                          "brew install libpq) in the same major version as the server.")
    return found


def _run(args: list[str], env: dict, **kwargs) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False, **kwargs)  # fixed tools, our own arguments
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
              "ORDER BY tablename")


def _counts(conn) -> dict[str, int]:
    names = list(conn.execute(TABLES).scalars())  # from the catalogue, not from input
    return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()  # noqa: S608
            for t in names}


def dump(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    uri, env = _libpq(url)
    pg_dump = _tool("pg_dump")
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = _counts(conn)
            revision = (conn.execute(text("SELECT version_num FROM alembic_version"))
                        .scalar_one_or_none() if "alembic_version" in tables else None)
            # The snapshot lives while this transaction is open: dump it now.
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"], env)
            conn.rollback()
    finally:
        engine.dispose()
    return revision, tables


def has_data(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(list(conn.execute(TABLES)))
    finally:
        engine.dispose()


def load(dump_path: Path, url: str) -> None:
    uri, env = _libpq(url)
    script = dump_path.with_suffix(".sql")
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}",
          str(dump_path)], env)
    reset = dump_path.with_name("reset.sql")
    reset.write_text("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
    _run([_tool("psql"), "--quiet", "--no-psqlrc", "--single-transaction",
          "--set=ON_ERROR_STOP=1", f"--file={reset}", f"--file={script}", f"--dbname={uri}"],
         env)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return _counts(conn)
    finally:
        engine.dispose()
