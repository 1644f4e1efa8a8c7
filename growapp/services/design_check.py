"""Design check before (and during) a trial: with this many trays per recipe and trays that
differ this much, what is the smallest difference the trial can detect, and how many trays
per recipe would a given difference need? (services/analysis.py does the arithmetic.)

The tray-to-tray spread comes from the trial itself once a week is complete, else from the
most recent earlier trial that measured the metric, else it is unknown: the answer is then
given in multiples of the spread, which is what the operator can compare with a pilot.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Experiment, MetricTemplate, Plant, PlantMetric, Recipe, Species, Tray
from .analysis import detectable_difference
from .experiments import get_experiment
from .reports import build_report


@dataclass(slots=True)
class Spread:
    key: str
    label: str
    unit: str | None
    tray_sd: float
    source: str  # "this trial, week 3" / "Trial 2024-B, week 6"


@dataclass
class DesignCheck:
    experiment: Experiment
    trays_per_recipe: dict[str, int]
    fewest: int  # trays in the smallest arm: what limits the design
    detectable_sds: float | None  # the smallest detectable difference, in tray SDs
    spreads: list[Spread]

    def detectable(self, spread: Spread) -> float | None:
        return None if self.detectable_sds is None else self.detectable_sds * spread.tray_sd


def _spreads(session: Session, experiment: Experiment) -> list[Spread]:
    report = build_report(session, experiment_id=experiment.id)
    week = report.answer_week
    out = []
    for m in report.metrics:
        fit = m.fits.get(("", week)) if week else None
        if fit is not None and fit.tray_sd:
            out.append(Spread(m.key, m.label, m.unit, fit.tray_sd, f"this trial, week {week}"))
    return out


def _earlier_spreads(session: Session, experiment: Experiment, wanted: set[str]) -> list[Spread]:
    """The most recent other trial with measurements after baseline, for missing metrics."""
    earlier = session.scalars(
        select(Experiment).where(Experiment.id != experiment.id, Experiment.id.in_(
            select(Plant.experiment_id).join(PlantMetric, PlantMetric.plant_id == Plant.id)
            .where(PlantMetric.week_number > 0, PlantMetric.voided_at.is_(None))))
        .order_by(func.coalesce(Experiment.started_at, Experiment.created_at).desc())
        .limit(3)).all()
    out: list[Spread] = []
    for other in earlier:
        for s in _spreads(session, other):
            if s.key in wanted and all(o.key != s.key for o in out):
                s.source = f"{other.name}, {s.source.removeprefix('this trial, ')}"
                out.append(s)
    return out


def design_check(session: Session, *, experiment_id: int) -> DesignCheck:
    experiment = get_experiment(session, experiment_id)
    counts = dict(session.execute(
        select(Recipe.code, func.count(Tray.id)).join(Tray, Tray.recipe_id == Recipe.id)
        .where(Recipe.experiment_id == experiment.id).group_by(Recipe.code)).all())
    counts = dict(sorted(counts.items(), key=lambda kv: (len(kv[0]), kv[0])))
    fewest = min(counts.values()) if len(counts) >= 2 else 0
    spreads = _spreads(session, experiment)
    missing = {f["key"] for f in _template_keys(session, experiment)} - {s.key for s in spreads}
    if missing:
        spreads += _earlier_spreads(session, experiment, missing)
    return DesignCheck(experiment=experiment, trays_per_recipe=counts, fewest=fewest,
                       detectable_sds=detectable_difference(fewest, 1.0) if fewest else None,
                       spreads=spreads)


def _template_keys(session: Session, experiment: Experiment) -> list[dict]:
    categories = select(Species.category).join(Plant, Plant.species_id == Species.id).where(
        Plant.experiment_id == experiment.id)
    return [f for fields in session.scalars(select(MetricTemplate.fields).where(
        MetricTemplate.category.in_(categories))) for f in fields or []
        if f["type"] in ("int", "float")]

