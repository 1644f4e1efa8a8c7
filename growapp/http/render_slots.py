"""A bound on label PDFs made while a request waits (rendered in a render process,
growapp.labels.render_process, while the request holds its slot): at most
``PDF_CONCURRENCY`` at a time on this server (every gunicorn worker process and thread
together; default 1) and one per user. A request that finds no free slot is answered at
once — 503 (the server is busy) or 429 (you are already printing) with ``Retry-After``
and a plain sentence — instead of queueing behind the render and tying up a worker for
seconds.

The slots are ``flock`` locks on small files in the instance folder (``render-slots/``),
taken without waiting: the kernel sees every process and thread on the machine, and a
lock ends with its file descriptor, so a worker killed mid-render (kill -9, a gunicorn
timeout) never leaves a slot taken. Big prints (over 100 labels) never render in a request
at all: they are label jobs (``growapp.jobs``), bounded by the job workers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from ..labels.render_process import RENDER_TIMEOUT
from ..services.errors import RateLimited, Unavailable

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: one process, thread locks
    fcntl = None

RETRY_AFTER = 3  # seconds: a sheet of up to 100 labels renders in about a second
BUSY = ("Another label sheet is being made on this server right now. Try again in a few "
        "seconds, or start a label job, which waits its turn for you.")
YOURS = "You are already making a label sheet. Wait for it to finish, then try again."

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def slot_count(value) -> int:
    """PDF_CONCURRENCY as a number of slots (1–16; anything unreadable: 1)."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        return 1
    return max(1, min(count, 16))


class _Held:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self.thread_lock: threading.Lock | None = None

    def try_take(self) -> bool:
        if fcntl is None:
            with _thread_locks_guard:
                lock = _thread_locks.setdefault(str(self.path), threading.Lock())
            if not lock.acquire(blocking=False):
                return False
            self.thread_lock = lock
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.thread_lock is not None:
            self.thread_lock.release()
            self.thread_lock = None
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


class RenderSlots:
    """``size`` slots in ``folder``; ``timeout``: seconds a render may take (the render
    process is stopped after that: growapp.labels.render_process)."""

    def __init__(self, folder: str | os.PathLike, size: int,
                 timeout: float = RENDER_TIMEOUT) -> None:
        self.folder = Path(folder)
        self.size = slot_count(size)
        self.timeout = timeout

    @contextmanager
    def hold(self, user_id: int | None) -> Iterator[None]:
        """Hold this user's slot and one of the server's while the block renders. Raises
        RateLimited (this user is already rendering) or Unavailable (all slots busy),
        both with ``retry_after``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        mine = _Held(self.folder / f"user-{user_id or 0}.lock")
        if not mine.try_take():
            raise RateLimited(YOURS, retry_after=RETRY_AFTER)
        try:
            slot = next((held for i in range(self.size)
                         if (held := _Held(self.folder / f"slot-{i}.lock")).try_take()), None)
            if slot is None:
                raise Unavailable(BUSY, retry_after=RETRY_AFTER)
            try:
                yield
            finally:
                slot.release()
        finally:
            mine.release()


def request_slots() -> RenderSlots:
    """The slots of this app's server (PDF_CONCURRENCY, RENDER_SLOTS_DIR,
    PDF_RENDER_TIMEOUT)."""
    cfg = current_app.config
    return RenderSlots(cfg.get("RENDER_SLOTS_DIR") or Path(current_app.instance_path)
                       / "render-slots", cfg.get("PDF_CONCURRENCY") or 1,
                       float(cfg.get("PDF_RENDER_TIMEOUT") or RENDER_TIMEOUT))
