"""Readiness (SPEC.md §4): the one source every page and the API use.

Computed for many experiments at once with a fixed number of grouped queries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from ...models import (
    Experiment,
    Plant,
    PlantMetric,
    Recipe,
    Slot,
    Tent,
    Tray,
    TrayPlant,
    tent_allowed_species,
)

READINESS_KEYS = ("needs_baseline", "needs_grade", "needs_placement", "needs_tray_recipe",
                  "needs_tent_restriction")
SETUP_KEYS = ("plants", "tents", "slots", "recipes", "trays")  # SPEC §4 setup checks
SETUP_MISSING = {
    "plants": "No active plants yet",
    "tents": "No tents yet",
    "slots": "No slots yet (describe a tent's shelves)",
    "recipes": "No recipes yet",
    "trays": "No trays yet",
}
READINESS_LABELS = {
    "needs_baseline": "need a baseline (week 0) measurement",
    "needs_grade": "need a grade",
    "needs_placement": "need placing in a tray",
    "needs_tray_recipe": "sit in a tray without a recipe",
    "needs_tent_restriction": "sit in a tent that does not allow their species",
}


@dataclass
class StatusSummary:
    status: str
    setup: dict[str, bool]
    readiness: dict[str, int]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ready_to_start(self) -> bool:
        return self.setup["complete"] and not any(self.readiness.values())

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ready_to_start"] = self.ready_to_start
        return data

    def problems(self) -> list[str]:
        """Readable reasons the experiment cannot start, e.g. '3 plants need a grade'."""
        lines = []
        missing = [name for name in SETUP_KEYS if not self.setup[name]]
        if missing:
            lines.append("Setup is incomplete: add " + ", ".join(missing) + ".")
        return lines + [b["text"] for b in self.blockers() if b["key"] in READINESS_KEYS]

    def blockers(self) -> list[dict]:
        """Each reason the experiment cannot start as ``{"key", "text"}``, one per missing
        setup step ("setup_trays": "No trays yet") and per non-zero readiness count; pages
        link each key to the page that fixes it."""
        out = [{"key": f"setup_{name}", "text": SETUP_MISSING[name]}
               for name in SETUP_KEYS if not self.setup[name]]
        for key in READINESS_KEYS:
            n = self.readiness[key]
            if n:
                noun = "plant" if n == 1 else "plants"
                verb = READINESS_LABELS[key]
                if n == 1:
                    verb = verb.replace("need ", "needs ").replace("sit in", "sits in")
                    verb = verb.replace("their species", "its species")
                out.append({"key": key, "text": f"{n} {noun} {verb}"})
        return out


def status_summaries(session: Session, experiment_ids: list[int]) -> dict[int, StatusSummary]:
    """Status summary per experiment id, in three queries whatever the data size."""
    if not experiment_ids:
        return {}
    ids = list(experiment_ids)
    statuses = dict(session.execute(
        select(Experiment.id, Experiment.status).where(Experiment.id.in_(ids))).all())

    # Baselined plants as one grouped set joined once (a correlated EXISTS per plant cost
    # 2.8 ms on PostgreSQL at 1,000 plants, against 0.84 ms on SQLite).
    baselined = (select(PlantMetric.plant_id).join(Plant, Plant.id == PlantMetric.plant_id)
                 .where(Plant.experiment_id.in_(ids), PlantMetric.week_number == 0,
                        PlantMetric.voided_at.is_(None))
                 .group_by(PlantMetric.plant_id).subquery())
    allowed_any = exists().where(tent_allowed_species.c.tent_id == Slot.tent_id)
    allowed_match = exists().where(tent_allowed_species.c.tent_id == Slot.tent_id,
                                   tent_allowed_species.c.species_id == Plant.species_id)
    placed = TrayPlant.id.is_not(None)
    plant_rows = session.execute(
        select(
            Plant.experiment_id,
            func.count(Plant.id),
            func.sum(case((baselined.c.plant_id.is_(None), 1), else_=0)),
            func.sum(case((Plant.grade.is_(None), 1), else_=0)),
            func.sum(case((~placed, 1), else_=0)),
            func.sum(case((and_(placed, Tray.recipe_id.is_(None)), 1), else_=0)),
            func.sum(case((and_(placed, Tray.slot_id.is_not(None), allowed_any,
                                ~allowed_match), 1), else_=0)),
        )
        .select_from(Plant)
        .outerjoin(baselined, baselined.c.plant_id == Plant.id)
        .outerjoin(TrayPlant, TrayPlant.plant_id == Plant.id)
        .outerjoin(Tray, Tray.id == TrayPlant.tray_id)
        .outerjoin(Slot, Slot.id == Tray.slot_id)
        .where(Plant.experiment_id.in_(ids), Plant.status == "active")
        .group_by(Plant.experiment_id)
    ).all()
    by_exp = {row[0]: [int(v or 0) for v in row[1:]] for row in plant_rows}

    slot_tent = aliased(Tent)
    structure = session.execute(
        select(
            Experiment.id,
            select(func.count(Plant.id)).where(Plant.experiment_id == Experiment.id)
            .scalar_subquery(),
            select(func.count(Tent.id)).where(Tent.experiment_id == Experiment.id)
            .scalar_subquery(),
            select(func.count(Slot.id)).join(slot_tent, slot_tent.id == Slot.tent_id)
            .where(slot_tent.experiment_id == Experiment.id).scalar_subquery(),
            select(func.count(Recipe.id)).where(Recipe.experiment_id == Experiment.id)
            .scalar_subquery(),
            select(func.count(Tray.id)).where(Tray.experiment_id == Experiment.id)
            .scalar_subquery(),
        ).where(Experiment.id.in_(ids))
    ).all()

    result = {}
    for eid, n_plants_all, n_tents, n_slots, n_recipes, n_trays in structure:
        active, baseline, grade, placement, tray_recipe, restriction = by_exp.get(eid, [0] * 6)
        setup = {"plants": active > 0, "tents": n_tents > 0, "slots": n_slots > 0,
                 "recipes": n_recipes > 0, "trays": n_trays > 0}
        setup["complete"] = all(setup.values())
        result[eid] = StatusSummary(
            status=statuses[eid],
            setup=setup,
            readiness={"needs_baseline": baseline, "needs_grade": grade,
                       "needs_placement": placement, "needs_tray_recipe": tray_recipe,
                       "needs_tent_restriction": restriction},
            counts={"plants": n_plants_all, "active_plants": active, "tents": n_tents,
                    "slots": n_slots, "recipes": n_recipes, "trays": n_trays},
        )
    return result


def status_summary(session: Session, experiment_id: int) -> StatusSummary:
    return status_summaries(session, [experiment_id])[experiment_id]
