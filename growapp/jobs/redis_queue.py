"""Jobs on Redis with RQ (``GROWAPP_REDIS_URL``); ``flask --app growapp worker`` runs them.

Only the job id travels through Redis; the worker reads everything else from the
database. There is no fall-back: when Redis does not answer, a new job is refused with
``Unavailable`` (503) and /readyz reports ``redis: false``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from ..services.errors import Unavailable

JOB_TIMEOUT = 3600  # seconds; RQ kills a work horse that runs longer
RUN_JOB = "growapp.jobs.runner.run_job"


class RqQueue:
    name = "rq"

    def __init__(self, url: str, *, queue_name: str = "growapp") -> None:
        self.url = url
        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(queue_name, connection=self.redis)

    def _where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"  # never the password

    def check(self) -> None:
        try:
            self.redis.ping()
        except RedisError as exc:
            raise Unavailable(
                f"The job queue is not answering (Redis at {self._where()}), so this job "
                "cannot start now. Try again in a minute; if it persists, ask an admin to "
                "start Redis.") from exc

    def ready(self) -> dict:
        try:
            return {"redis": bool(self.redis.ping())}
        except RedisError:
            return {"redis": False}

    def enqueue(self, job_id: int) -> None:
        self.queue.enqueue(RUN_JOB, job_id, job_timeout=JOB_TIMEOUT, result_ttl=3600,
                           failure_ttl=7 * 86400, description=f"growapp job {job_id}")
