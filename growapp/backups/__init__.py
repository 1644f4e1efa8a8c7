"""Backups that restore everything: one archive with the database and the uploaded files.

The archive is a tar file::

    manifest.json          format, engine, revision, row counts, file count, created_at
    database.sqlite        SQLite: an online backup (consistent, WAL rows included)
    database.pgdump        PostgreSQL: pg_dump --format=custom of one exported snapshot
    files/<storage key>    every object in the file store (photos, label PDFs)

The database is copied first and the files after it: a photo's file is written before its
row commits, so every row of the copy finds its file (files newer than the copy are
unreferenced and ``flask prune-files`` removes them). ``restore_archive`` restores into
the configured database and file store, after writing a safety archive of what is there
now. No flask here: the CLI hands in the database URL and the store.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from ..storage import check_key
from . import postgres, sqlite
from .errors import BackupError

FORMAT = "growapp-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
DATABASE = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


@dataclass
class Manifest:
    engine: str
    revision: str | None
    tables: dict[str, int]
    files: int = 0
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    format: str = FORMAT
    version: int = VERSION

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()


def engine_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in DATABASE:
        raise BackupError(f"backups handle SQLite and PostgreSQL, not {backend}.")
    return backend


def write_archive(target: str | os.PathLike, *, database_url: str, storage) -> Manifest:
    """Write the archive to ``target`` (atomically: a half-written archive never has the
    final name). Returns its manifest. Raises BackupError."""
    engine = engine_of(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="growapp-backup-") as work:
        dump = Path(work) / DATABASE[engine]
        if engine == "sqlite":
            revision, tables = sqlite.dump(database_url, dump)
        else:
            revision, tables = postgres.dump(database_url, dump)
        manifest = Manifest(engine=engine, revision=revision, tables=tables)
        partial = target.with_name(f".{target.name}.part")
        try:
            with tarfile.open(partial, "w") as tar:
                tar.add(dump, arcname=DATABASE[engine])
                for key, modified in sorted(storage.list("")):
                    try:
                        size = storage.size(key)
                        stream = storage.open(key)
                    except FileNotFoundError:
                        continue  # deleted since it was listed (an expired job file)
                    info = tarfile.TarInfo(FILES + key)
                    info.size, info.mtime = size, int(modified.timestamp())
                    with stream:
                        tar.addfile(info, stream)
                    manifest.files += 1
                _add_bytes(tar, MANIFEST, manifest.as_json())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def read_manifest(source: str | os.PathLike) -> Manifest:
    """The archive's manifest. Raises BackupError when it is not a growapp backup."""
    try:
        with tarfile.open(source, "r") as tar:
            member = tar.extractfile(MANIFEST)
            raw = json.loads(member.read()) if member else None
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a growapp backup archive ({exc}).") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{source} is not a growapp backup archive.")
    if raw.get("version") != VERSION:
        raise BackupError(f"{source} is a version {raw.get('version')} backup; this growapp "
                          f"reads version {VERSION}.")
    return Manifest(**raw)


def restore_archive(source: str | os.PathLike, *, database_url: str, storage,
                    safety_dir: str | os.PathLike, replace: bool = False
                    ) -> tuple[Manifest, Path | None]:
    """Restore the database and the files of ``source``. First a safety archive of the
    current database and files goes to ``safety_dir`` (None when there was nothing to
    keep). A non-empty PostgreSQL database is refused unless ``replace``. Raises
    BackupError."""
    manifest = read_manifest(source)
    engine = engine_of(database_url)
    if manifest.engine != engine:
        raise BackupError(f"{source} holds a {manifest.engine} database; the configured "
                          f"database is {engine}. Restore into a {manifest.engine} database.")
    with tempfile.TemporaryDirectory(prefix="growapp-restore-") as work:
        dump = Path(work) / DATABASE[engine]
        with tarfile.open(source, "r") as tar:
            _check_file_names(tar)
            member = tar.getmember(DATABASE[engine])
            with tar.extractfile(member) as src, dump.open("wb") as out:
                shutil.copyfileobj(src, out)
        if engine == "sqlite":
            sqlite.check(dump)
            has_data = sqlite.has_data(database_url)
        else:
            has_data = postgres.has_data(database_url)
            if has_data and not replace:
                raise BackupError(
                    "The configured PostgreSQL database is not empty. Restore into an empty "
                    "database, or pass --replace to replace what is there (a safety copy is "
                    "made first).")
        safety = None
        if has_data:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            safety = Path(safety_dir) / f"before-restore-{stamp}.tar"
            write_archive(safety, database_url=database_url, storage=storage)
        if engine == "sqlite":
            sqlite.load(dump, database_url)
        else:
            postgres.load(dump, database_url)
    _restore_files(source, storage)
    return manifest, safety


def _check_file_names(tar: tarfile.TarFile) -> None:
    for member in tar:
        if member.name.startswith(FILES):
            try:
                check_key(member.name[len(FILES):])
            except ValueError as exc:
                raise BackupError(f"the archive holds a file with a bad name: {exc}") from exc


def _restore_files(source, storage) -> int:
    count = 0
    with tarfile.open(source, "r") as tar:
        for member in tar:
            if not member.isfile() or not member.name.startswith(FILES):
                continue
            key = member.name[len(FILES):]
            with tar.extractfile(member) as stream:
                storage.save(key, stream, content_type=_content_type(key))
            count += 1
    return count


def _content_type(key: str) -> str:
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
            "pdf": "application/pdf", "csv": "text/csv"}.get(
        key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def table_counts(database_url: str) -> dict[str, int]:
    """Rows per table of the configured database (the restore's check, and tests')."""
    if engine_of(database_url) == "sqlite":
        return sqlite.counts(database_url)
    return postgres.counts(database_url)


__all__ = ["BackupError", "Manifest", "read_manifest", "restore_archive", "table_counts",
           "write_archive"]
