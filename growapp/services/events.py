"""The activity stream: one Event row per operator action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Event, User


def record_event(session: Session, *, kind: str, summary: str, actor: User | None,
                 experiment_id: int | None = None, plant_id: int | None = None,
                 tray_id: int | None = None, payload: dict | None = None) -> Event:
    event = Event(kind=kind, summary=summary[:500], payload=payload or {},
                  user_id=actor.id if actor else None, experiment_id=experiment_id,
                  plant_id=plant_id, tray_id=tray_id)
    session.add(event)
    return event
