"""``flask --app growapp worker``: RQ workers on GROWAPP_REDIS_URL, plus the periodic tasks.

Without Redis the jobs run in the web process's pool; the command then only runs the
periodic tasks (every 30 s; ``--burst``: once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from ..storage import storage_from_settings
from . import periodic, runner

log = logging.getLogger(__name__)


def run_worker(settings: Mapping, *, burst: bool = False) -> None:
    runner.init_worker(runner.worker_settings(settings))
    factory = runner.session_factory_for(settings["DATABASE_URL"])
    storage = storage_from_settings(settings)

    def tasks() -> None:
        done = periodic.run_periodic(factory, settings=settings, storage=storage)
        if any(done.values()):
            log.info("periodic tasks: %s", done)

    if not settings.get("REDIS_URL"):
        while True:
            tasks()
            if burst:
                return
            time.sleep(periodic.INTERVAL)

    from redis import Redis
    from rq import Queue, Worker

    class GrowappWorker(Worker):
        """RQ's worker; its maintenance pass (every ``maintenance_interval`` seconds while
        idle) also runs growapp's periodic tasks."""

        def run_maintenance_tasks(self):
            super().run_maintenance_tasks()
            tasks()

    connection = Redis.from_url(settings["REDIS_URL"])
    queue = Queue(settings.get("JOB_QUEUE") or "growapp", connection=connection)
    # worker_ttl 45 s: RQ waits for jobs at most 30 s at a time, so maintenance runs twice
    # a minute while idle.
    worker = GrowappWorker([queue], connection=connection, worker_ttl=45,
                           maintenance_interval=periodic.INTERVAL)
    worker.work(burst=burst, with_scheduler=False)
