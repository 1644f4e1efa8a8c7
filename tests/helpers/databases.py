"""Throwaway test databases: a temp SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from growapp.migrations_runner import upgrade


def fresh_database(label: str, *, migrate: bool = True) -> tuple[str, callable]:
    """Create an empty database, migrated unless ``migrate=False``. Returns (url, drop)."""
    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base or base.startswith("sqlite"):
        fd, path = tempfile.mkstemp(prefix=f"growapp-{label}-", suffix=".db")
        os.close(fd)
        os.unlink(path)
        url = f"sqlite:///{path}"

        def drop() -> None:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)
    else:
        server = make_url(base)
        name = f"{server.database or 'growapp'}_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    if migrate:
        upgrade(url)
    return url, drop
