"""The daily digest of due work: who wants it (the profile's opt-in), what is due (read
from the same read models the pages use: the feeding queue, the weekly round, the
schedule plan, the open alerts), and one ``digest_days`` row per user and local day,
claimed before sending, so two servers or two runs never send a day twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import DigestDay, DigestSubscription, Experiment, Tent, User, utcnow
from .clock import local_today, zone_of
from .environment.alerts import open_alerts
from .observations import current_week, observe_queue
from .read.feeding_queue import feeding_queue
from .schedules.plan import plan

OVERDUE_DAYS = 7  # schedule items planned this many days back and still open are overdue


def wants_digest(session: Session, *, user_id: int) -> bool:
    return session.scalar(select(DigestSubscription.id).where(
        DigestSubscription.user_id == user_id)) is not None


def set_digest(session: Session, *, user: User, enabled: bool) -> bool:
    """Opt in or out (audited). Returns the new setting."""
    row = session.scalar(select(DigestSubscription).where(
        DigestSubscription.user_id == user.id))
    if enabled and row is None:
        session.add(DigestSubscription(user_id=user.id))
    elif not enabled and row is not None:
        session.delete(row)
    session.flush()
    return enabled


@dataclass
class ExperimentDue:
    experiment_id: int
    name: str
    feeding_due: int = 0
    round_week: int = 0
    round_left: int = 0
    round_total: int = 0
    due_today: list[str] = field(default_factory=list)  # schedule items planned today
    overdue: list[str] = field(default_factory=list)  # "Wed 25 Nov: Rotate trays"
    alerts: list[str] = field(default_factory=list)  # "TN1: Temperature 31 °C, above 28 °C…"

    @property
    def items(self) -> int:
        return (self.feeding_due + self.round_left + len(self.due_today) + len(self.overdue)
                + len(self.alerts))


def due_work(session: Session, *, now: datetime | None = None) -> list[ExperimentDue]:
    """What is due today in each running, unarchived experiment (every signed-in user may
    read every experiment), leaving out experiments with nothing due. "Today" is the
    session's zone. A fixed number of queries per experiment."""
    now = now or utcnow()
    tz = zone_of(session)
    today = local_today(tz, now)
    experiments = session.scalars(select(Experiment).where(
        Experiment.status == "running", Experiment.archived_at.is_(None))
        .order_by(Experiment.name, Experiment.id)).all()
    if not experiments:
        return []
    tents = session.execute(select(Tent.id, Tent.code, Tent.experiment_id).where(
        Tent.experiment_id.in_([e.id for e in experiments]))).all()
    alerts = open_alerts(session, tent_ids=[t.id for t in tents])
    out = []
    for exp in experiments:
        due = ExperimentDue(exp.id, exp.name)
        due.feeding_due = feeding_queue(session, exp.id, now=now, budget=1).total
        week = current_week(exp, now, tz=tz)
        if week >= 1:
            queue = observe_queue(session, exp.id, week, limit=0)
            due.round_week, due.round_total = week, queue.total
            due.round_left = queue.total - queue.done
        start = today - timedelta(days=OVERDUE_DAYS)
        for day in plan(session, experiment_id=exp.id, start=start, days=OVERDUE_DAYS + 1,
                        today=today)["days"]:
            for group in day["groups"]:
                for action in group["actions"]:
                    if action["status"] == "overdue":
                        when = date.fromisoformat(day["date"]).strftime("%a %d %b")
                        due.overdue.append(f"{when}: {action['title']}")
                    elif action["status"] == "due":
                        due.due_today.append(action["title"])
        for t in tents:
            if t.experiment_id == exp.id:
                due.alerts += [f"{t.code}: {a.detail}" for a in alerts[t.id]]
        if due.items:
            out.append(due)
    return out


def subscribers_without_digest(session: Session, *, day: date) -> list[User]:
    """Active users who opted in and have no digest row for ``day`` yet."""
    sent = select(DigestDay.user_id).where(DigestDay.day == day)
    return list(session.scalars(
        select(User).join(DigestSubscription, DigestSubscription.user_id == User.id)
        .where(User.is_active, User.id.not_in(sent)).order_by(User.id)))


def claim_day(session: Session, *, user_id: int, day: date) -> bool:
    """Take ``day`` for the user's digest. False when another run or server has it."""
    mod = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    stmt = mod.insert(DigestDay).values(
        user_id=user_id, day=day, status="claimed", items=0, error="", created_at=now,
        updated_at=now).on_conflict_do_nothing(index_elements=["user_id", "day"]) \
        .returning(DigestDay.id)
    return session.execute(stmt).first() is not None


def finish_day(session: Session, *, user_id: int, day: date, status: str, items: int = 0,
               error: str = "") -> None:
    session.execute(update(DigestDay).where(DigestDay.user_id == user_id, DigestDay.day == day)
                    .values(status=status, items=items, error=error[:2000],
                            updated_at=utcnow()))
    session.flush()


def local_day_if_due(now: datetime, *, tz, hour: int) -> date | None:
    """The local day whose digest is due at ``now`` (at or after ``hour`` local), else
    None."""
    local = now.astimezone(tz)
    return local.date() if local.hour >= hour else None
