"""The storage interface every backend implements, and the rules for keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO, Protocol

CHUNK = 256 * 1024


class Storage(Protocol):
    def save(self, key: str, stream: BinaryIO, *, content_type: str) -> int:
        """Write ``stream`` (read in chunks, never whole) under ``key``; returns bytes written.
        Readers never see a half-written object."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object. Raises FileNotFoundError."""

    def size(self, key: str) -> int:
        """Bytes stored under ``key``. Raises FileNotFoundError."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is already gone)."""

    def list(self, prefix: str = "") -> Iterator[tuple[str, datetime]]:
        """Every stored key under ``prefix`` (a folder such as ``photos/``) with its last
        modification time (UTC), in no particular order. For backups and pruning."""


def check_key(key: str) -> str:
    """Keys are relative paths of plain parts: no '..', no absolute paths, no backslashes."""
    parts = key.split("/")
    if (not key or key.startswith("/") or "\\" in key or "\x00" in key
            or any(p in ("", ".", "..") for p in parts)):
        raise ValueError(f"bad storage key {key!r}")
    return key
