"""The embedded queue: worker processes owned by the web process (no extra service).

Spawned, never forked (forking a threaded web worker can deadlock the child) and never
threads (WeasyPrint holds the GIL for seconds). Each process opens its own engine from the
database URL. When a worker process dies mid-job the pool breaks: the job is marked failed
at once with the reason, and the next job gets a fresh pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..services import jobs as job_service
from . import runner

log = logging.getLogger(__name__)


class ProcessPoolQueue:
    name = "process"

    def __init__(self, settings: Mapping, *, workers: int = 1,
                 on_lost: Callable[[int, str], None] | None = None) -> None:
        self.settings = runner.worker_settings(settings)
        self.workers = max(1, workers)
        self.on_lost = on_lost
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: set[Future] = set()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None or getattr(self._pool, "_broken", False):
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=runner.init_worker, initargs=(self.settings,))
            return self._pool

    def check(self) -> None:
        return None  # the pool starts on demand; a broken one is replaced

    def ready(self) -> dict:
        return {}

    def enqueue(self, job_id: int) -> None:
        future = self._executor().submit(runner.run_job, job_id)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(lambda f: self._finished(job_id, f))

    def _finished(self, job_id: int, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)
        if future.cancelled():
            reason = job_service.DEAD_RUNNER
        else:
            exc = future.exception()
            if exc is None:
                return
            log.error("job %s: worker process failed: %r", job_id, exc)
            reason = job_service.DEAD_RUNNER if isinstance(exc, BrokenProcessPool) \
                else "The file could not be made. The error has been logged."
        if self.on_lost is not None:
            self.on_lost(job_id, reason)

    def processes(self) -> list:
        """The live worker processes (tests kill one to prove a dead runner is noticed)."""
        pool = self._pool
        return list(getattr(pool, "_processes", {}).values()) if pool else []

    def wait(self, timeout: float | None = None) -> None:
        with self._lock:
            pending = list(self._futures)
        wait(pending, timeout=timeout)

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
