"""Files that belong to a transaction: saved now, deleted again unless the session commits.

A photo is written before its row is; when the transaction then rolls back (a concurrent
upload with the same Idempotency-Key won, a later statement failed, the commit itself
failed) the files must go too, or the store fills with objects no row names. Keys saved
through ``save_with_session`` wait in ``session.info``; ``after_commit`` forgets them and
the end of the outermost transaction without a commit deletes them. A process killed in
between still leaves files: ``flask prune-files`` removes those.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .base import Storage

log = logging.getLogger(__name__)

_PENDING = "growapp_files_pending"
_HOOKED = "growapp_files_hooked"


def save_with_session(session: Session, storage: Storage, key: str, stream: BinaryIO, *,
                      content_type: str) -> int:
    """``storage.save`` whose object is deleted again if ``session`` does not commit."""
    _hook(session)
    # Listed before the write: a failed S3 upload may still have landed.
    session.info.setdefault(_PENDING, []).append((storage, key))
    return storage.save(key, stream, content_type=content_type)


def _hook(session: Session) -> None:
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
        session.info[_HOOKED] = True


def _after_commit(session: Session) -> None:
    session.info.pop(_PENDING, None)  # the rows that name them are committed


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for storage, key in session.info.pop(_PENDING, []):
        try:
            storage.delete(key)
        except Exception:  # prune-files finds it later; the rollback's cause matters more
            log.warning("could not delete %s after a rollback", key, exc_info=True)

