"""The trial's design as data: recipes, trays per recipe, tents, strata, seed, allocation and
the measured units. Shown at the top of the printed report and written as ``design.json``
(with the data dictionary) into the all-in-one export."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MetricTemplate, Plant, Recipe, Slot, Species, Tent
from .analysis import ALPHA, CONTROL, METHOD
from .assignment import latest_allocation
from .experiments import get_experiment
from .trays import list_trays


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _order(codes) -> list[str]:
    return sorted(set(codes), key=lambda c: (len(c), c))


def design_summary(session: Session, *, experiment_id: int) -> dict:
    """Recipes with their trays, strata and seed, for people (the report's header).
    Raises NotFound."""
    experiment = get_experiment(session, experiment_id)
    rows = list_trays(session, experiment.id)
    recipes = list(session.scalars(select(Recipe).where(Recipe.experiment_id == experiment.id)))
    trays = Counter(r.recipe.code for r in rows if r.recipe)
    allocation = latest_allocation(session, experiment.id)
    strata = [f"{s.get('category', '?')} · {s.get('grade', '?')}"
              for s in (allocation or {}).get("strata", [])]
    seed = (allocation or {}).get("seed", experiment.randomization_seed)
    return {"recipes": [{"code": code, "name": next(r.name for r in recipes if r.code == code),
                         "trays": trays.get(code, 0)}
                        for code in _order(r.code for r in recipes)],
            "trays": len(rows), "strata": strata, "seed": seed,
            "mode": (allocation or {}).get("mode") or "by hand"}


def design_record(session: Session, *, experiment_id: int) -> dict:
    """Everything the CSVs need to be analysed elsewhere (design.json). Raises NotFound."""
    experiment = get_experiment(session, experiment_id)
    rows = list_trays(session, experiment.id)
    tents = session.execute(select(Tent).where(Tent.experiment_id == experiment.id)
                            .order_by(Tent.code)).scalars().all()
    slots = Counter(session.scalars(select(Slot.tent_id).where(
        Slot.tent_id.in_([t.id for t in tents]))))
    recipes = sorted(session.scalars(select(Recipe).where(
        Recipe.experiment_id == experiment.id)), key=lambda r: (len(r.code), r.code))
    categories = set(session.scalars(select(Species.category).distinct().join(
        Plant, Plant.species_id == Species.id).where(Plant.experiment_id == experiment.id)))
    metrics: dict[str, dict] = {}
    for category, fields in session.execute(select(MetricTemplate.category,
                                                   MetricTemplate.fields)
                                            .order_by(MetricTemplate.category)):
        if category not in categories:
            continue
        for f in fields or []:
            entry = metrics.setdefault(f["key"], {
                "key": f["key"], "label": f["label"], "type": f["type"],
                "unit": f.get("unit"), "min": f.get("min"), "max": f.get("max"),
                "choices": f.get("choices"), "categories": [],
                "analysed": f["type"] in ("int", "float")})
            entry["categories"].append(category)
    allocation = latest_allocation(session, experiment.id)
    if allocation:
        allocation = {**allocation, "at": _iso(allocation["at"])}
    return {
        "schema_version": 1,
        "experiment": {"id": experiment.id, "name": experiment.name,
                       "short_name": experiment.short_name, "status": experiment.status,
                       "description": experiment.description,
                       "started_at": _iso(experiment.started_at),
                       "stopped_at": _iso(experiment.stopped_at),
                       "feeding_window_days": experiment.feeding_window_days,
                       "randomization_seed": experiment.randomization_seed},
        "analysis": {"control": CONTROL, "method": METHOD, "alpha": ALPHA, "unit": "tray",
                     "response": "change from baseline (week 0) of each plant, averaged per "
                                 "tray; one OLS fit per metric, week and stratum with the "
                                 "recipe as factor; Holm-adjusted p-values within a fit",
                     "strata": ["category", "grade"]},
        "recipes": [{"code": r.code, "name": r.name, "product": r.product,
                     "concentration": r.concentration, "unit": r.unit,
                     "volume_ml": r.volume_ml, "colour": r.colour,
                     "control": r.code == CONTROL,
                     "trays": [row.tray.code for row in rows if row.recipe
                               and row.recipe.id == r.id]} for r in recipes],
        "trays": [{"code": row.tray.code, "capacity": row.tray.capacity,
                   "plants": row.occupancy, "recipe": row.recipe.code if row.recipe else None,
                   "slot": row.slot.code if row.slot else None,
                   "tent": row.tent.code if row.tent else None} for row in rows],
        "tents": [{"code": t.code, "name": t.name, "slots": slots.get(t.id, 0),
                   "layout": t.layout} for t in tents],
        "strata": (allocation or {}).get("strata", []),
        "seed": (allocation or {}).get("seed", experiment.randomization_seed),
        "allocation": allocation,
        "metrics": list(metrics.values()),
    }
