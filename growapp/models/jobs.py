"""Work that does not run in a request (large label PDFs, exports): one row per job.

The worker that runs a job updates ``heartbeat_at`` every few seconds (progress ticks
count too), so a job whose runner died is told apart from a slow one within a minute.
"""

from __future__ import annotations

import uuid as uuid_mod
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, Timestamped

JOB_KINDS = ("labels", "export")
JOB_STATUSES = ("queued", "running", "done", "failed", "expired")


class Job(Timestamped, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("kind in ('labels', 'export')", name="kind"),
        CheckConstraint("status in ('queued', 'running', 'done', 'failed', 'expired')",
                        name="status"),
    )

    uuid: Mapped[uuid_mod.UUID] = mapped_column(default=uuid_mod.uuid4, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    experiment_id: Mapped[int | None] = mapped_column(ForeignKey("experiments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    options: Mapped[dict] = mapped_column(JSONType, default=dict)  # the frozen request
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    file_key: Mapped[str] = mapped_column(String(255), default="")  # in growapp.storage
    file_name: Mapped[str] = mapped_column(String(200), default="")  # offered on download
    error: Mapped[str] = mapped_column(Text, default="")
    runner: Mapped[str] = mapped_column(String(120), default="")  # host:pid that runs it
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
