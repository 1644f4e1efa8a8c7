"""``tent_alerts(tent)`` for shared templates (the overview's tent map): open alerts of
every tent of that experiment, read once per request (one statement), so the map's
statement count stays fixed."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from ...extensions import db
from ...models import EnvironmentAlert, Tent


def tent_alerts(tent: Tent) -> list[EnvironmentAlert]:
    cache = g.setdefault("env_alerts", {})
    if tent.experiment_id not in cache:
        rows = db.session.scalars(
            select(EnvironmentAlert).join(Tent, Tent.id == EnvironmentAlert.tent_id)
            .where(Tent.experiment_id == tent.experiment_id,
                   EnvironmentAlert.cleared_at.is_(None))
            .order_by(EnvironmentAlert.raised_at)).all()
        by_tent: dict[int, list[EnvironmentAlert]] = {}
        for a in rows:
            by_tent.setdefault(a.tent_id, []).append(a)
        cache[tent.experiment_id] = by_tent
    return cache[tent.experiment_id].get(tent.id, [])
