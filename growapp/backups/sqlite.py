"""SQLite side of backups: the online backup API (pages copied under a read transaction,
rows still in the WAL included), checked with ``PRAGMA integrity_check``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from .errors import BackupError


def path_of(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # page by page; replaces WAL content of the target safely
    finally:
        dst.close()
        src.close()


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
            for t in _tables(conn)}  # names from the catalogue, not from input


def dump(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    source = path_of(url)
    if not source.exists():
        raise BackupError(f"there is no database at {source}.")
    _copy(source, target)
    conn = sqlite3.connect(target)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy of {source} failed its integrity check: {ok}")
        revision = _revision(conn)
        return revision, _counts(conn)
    finally:
        conn.close()


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def check(dump_path: Path) -> None:
    """Raises BackupError unless ``dump_path`` is an intact, migrated growapp database."""
    try:
        conn = sqlite3.connect(f"file:{dump_path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            revision = _revision(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the archive's database is not a SQLite database: {exc}") from exc
    if ok != "ok" or revision is None:
        raise BackupError(f"the archive's database is not a growapp database (integrity: {ok}).")


def has_data(url: str) -> bool:
    path = path_of(url)
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path)
    try:
        return bool(_tables(conn))
    finally:
        conn.close()


def load(dump_path: Path, url: str) -> None:
    target = path_of(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(dump_path, target)


def counts(url: str) -> dict[str, int]:
    conn = sqlite3.connect(path_of(url))
    try:
        return _counts(conn)
    finally:
        conn.close()
