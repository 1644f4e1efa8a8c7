"""Experiments: create, edit, and the draft → running → stopped lifecycle."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Experiment, User, utcnow
from .errors import Conflict, Forbidden, Invalid, NotFound
from .events import record_event
from .read.readiness import StatusSummary, status_summary

NAME_MAX = 120
SHORT_NAME_MAX = 24  # printed on labels
DESCRIPTION_MAX = 5000
FEEDING_WINDOW_DAYS = (1, 60)  # smallest and largest feeding window
EDITABLE = ("name", "description", "feeding_window_days", "short_name")
# What starting freezes and what stays open (SPEC §4), for the start confirmation.
FROZEN_WHILE_RUNNING = (
    "Tents' slots and species restrictions",
    "Trays: which slot and which recipe each holds",
    "Placement: adding, removing and auto-placing plants",
    "Recipes",
    "Plant codes",
    "The baseline (week 0): only an admin can correct it, with a reason",
)
OPEN_WHILE_RUNNING = ("feeding", "rotation", "observations", "photos", "notes", "grade fixes",
                      "removing and replacing plants")


def _validate(fields: dict) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {}
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            errors["name"] = ["Give the experiment a name."]
        elif len(name) > NAME_MAX:
            errors["name"] = [f"Use at most {NAME_MAX} characters."]
        clean["name"] = name
    if "short_name" in fields:
        short = (fields["short_name"] or "").strip()
        if len(short) > SHORT_NAME_MAX:
            errors["short_name"] = [f"Use at most {SHORT_NAME_MAX} characters."]
        clean["short_name"] = short
    if "description" in fields:
        desc = fields["description"] or ""
        if len(desc) > DESCRIPTION_MAX:
            errors["description"] = [f"Use at most {DESCRIPTION_MAX:,} characters."]
        clean["description"] = desc
    if "feeding_window_days" in fields and fields["feeding_window_days"] is not None:
        try:
            days = int(fields["feeding_window_days"])
        except (TypeError, ValueError):
            days = None
        low, high = FEEDING_WINDOW_DAYS
        if days is None or not low <= days <= high:
            errors["feeding_window_days"] = [
                f"Enter a whole number of days from {low} to {high}."]
        clean["feeding_window_days"] = days
    if errors:
        raise Invalid(errors=errors)
    return clean


def _require_operator(actor: User) -> None:
    if not actor.has_role("operator"):
        raise Forbidden("Viewers can look but not change experiments.")


def get_experiment(session: Session, experiment_id: int, *, lock: bool = False) -> Experiment:
    stmt = select(Experiment).where(Experiment.id == experiment_id)
    if lock:
        stmt = stmt.with_for_update()
    experiment = session.scalar(stmt)
    if experiment is None:
        raise NotFound(f"Experiment {experiment_id} does not exist.")
    return experiment


def list_experiments(session: Session, *, status: str | None = None, limit: int = 50,
                     offset: int = 0, archived: bool = False) -> tuple[int, list[Experiment]]:
    """Experiments newest first; archived ones only with ``archived`` (and then only they)."""
    shelf = Experiment.archived_at.is_not(None) if archived else Experiment.archived_at.is_(None)
    stmt = select(Experiment).where(shelf)
    count_stmt = select(func.count(Experiment.id)).where(shelf)
    if status:
        stmt = stmt.where(Experiment.status == status)
        count_stmt = count_stmt.where(Experiment.status == status)
    total = session.scalar(count_stmt) or 0
    rows = session.scalars(
        stmt.order_by(Experiment.created_at.desc(), Experiment.id.desc())
        .limit(limit).offset(offset)
    ).all()
    return total, list(rows)


def create_experiment(session: Session, *, actor: User, name: str, description: str = "",
                      feeding_window_days: int | None = None,
                      short_name: str = "") -> Experiment:
    _require_operator(actor)
    clean = _validate({"name": name, "description": description,
                       "feeding_window_days": feeding_window_days, "short_name": short_name})
    if clean.get("feeding_window_days") is None:
        clean.pop("feeding_window_days", None)
    experiment = Experiment(**clean, created_by_id=actor.id)
    if not experiment.short_name:
        experiment.short_name = clean["name"][:24]
    session.add(experiment)
    session.flush()
    record_event(session, kind="experiment.created", summary=f"Created experiment {name}",
                 actor=actor, experiment_id=experiment.id)
    return experiment


def update_experiment(session: Session, *, experiment_id: int, actor: User,
                      **fields) -> Experiment:
    _require_operator(actor)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise Invalid(errors={k: ["This field cannot be changed."] for k in sorted(unknown)})
    experiment = get_experiment(session, experiment_id, lock=True)
    clean = _validate(fields)
    for key, value in clean.items():
        if value is not None:
            setattr(experiment, key, value)
    session.flush()
    return experiment


def start_experiment(session: Session, *, experiment_id: int, actor: User) -> Experiment:
    """draft|stopped → running. Raises Conflict with the readiness object when not ready."""
    _require_operator(actor)
    experiment = get_experiment(session, experiment_id, lock=True)
    if experiment.status == "running":
        raise Conflict(f"{experiment.name} is already running.",
                       {"status": experiment.status})
    summary: StatusSummary = status_summary(session, experiment.id)
    if not summary.ready_to_start:
        problems = summary.problems()
        raise Conflict(
            f"{experiment.name} is not ready to start: " + "; ".join(problems) + ".",
            summary.as_dict(),
        )
    resumed = experiment.status == "stopped"
    experiment.status = "running"
    if not resumed:
        experiment.started_at = utcnow()
    experiment.stopped_at = None
    record_event(session, kind="experiment.resumed" if resumed else "experiment.started",
                 summary=f"{'Resumed' if resumed else 'Started'} {experiment.name}",
                 actor=actor, experiment_id=experiment.id)
    session.flush()
    return experiment


def stop_experiment(session: Session, *, experiment_id: int, actor: User) -> Experiment:
    _require_operator(actor)
    experiment = get_experiment(session, experiment_id, lock=True)
    if experiment.status != "running":
        raise Conflict(f"{experiment.name} is not running, so it cannot be stopped.",
                       {"status": experiment.status})
    experiment.status = "stopped"
    experiment.stopped_at = utcnow()
    record_event(session, kind="experiment.stopped", summary=f"Stopped {experiment.name}",
                 actor=actor, experiment_id=experiment.id)
    session.flush()
    return experiment


def require_not_running(experiment: Experiment, what: str) -> None:
    """Structure freezes while running (SPEC.md §4). Raises Conflict."""
    if experiment.status == "running":
        raise Conflict(
            f"{what} cannot change while {experiment.name} is running. Stop it first.",
            {"status": experiment.status},
        )


def require_running(experiment: Experiment, what: str) -> None:
    if experiment.status != "running":
        raise Conflict(f"{what} only while the experiment is running; "
                       f"{experiment.name} is {experiment.status}.",
                       {"status": experiment.status})
