"""Files in the store that no row names: what a killed process or a lost race left behind.

Rows name their files by storage key (``photos.file_path``/``thumb_path``,
``jobs.file_key``). A file younger than ``min_age`` is never pruned: its row may be in a
transaction that has not committed yet (a photo is written before its row, a label PDF
before its job is marked done).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Job, Photo

MIN_AGE = timedelta(hours=1)
PREFIXES = ("photos/", "labels/")  # the folders growapp writes


def referenced_keys(session: Session) -> set[str]:
    keys: set[str] = set()
    for full, thumb in session.execute(select(Photo.file_path, Photo.thumb_path)):
        keys.update((full, thumb))
    keys.update(session.scalars(select(Job.file_key).where(Job.file_key != "")))
    return keys


def unreferenced_files(session: Session, *, storage, min_age: timedelta = MIN_AGE,
                       now: datetime | None = None) -> list[str]:
    """Keys under the app's folders that no row names and older than ``min_age``."""
    cutoff = (now or datetime.now(UTC)) - min_age
    referenced = referenced_keys(session)
    return sorted(key for prefix in PREFIXES for key, modified in storage.list(prefix)
                  if key not in referenced and modified < cutoff)


def prune_files(session: Session, *, storage, min_age: timedelta = MIN_AGE,
                now: datetime | None = None, dry_run: bool = False) -> list[str]:
    """Delete (unless ``dry_run``) the files ``unreferenced_files`` finds; returns them."""
    keys = unreferenced_files(session, storage=storage, min_age=min_age, now=now)
    if not dry_run:
        for key in keys:
            storage.delete(key)
    return keys
