"""A queue for tests: jobs wait until ``run_pending`` runs them here, with the caller's
session factory (inside the test's transaction). Not for deployments: nothing else runs
them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from .runner import execute_job


class InlineQueue:
    name = "inline"

    def __init__(self) -> None:
        self.pending: list[int] = []

    def check(self) -> None:
        return None

    def ready(self) -> dict:
        return {}

    def enqueue(self, job_id: int) -> None:
        self.pending.append(job_id)

    def run_pending(self, session_factory: Callable[[], Session], *, storage,
                    workers: int = 1) -> list[str]:
        results = []
        while self.pending:
            results.append(execute_job(session_factory, storage=storage,
                                       job_id=self.pending.pop(0), workers=workers))
        return results
