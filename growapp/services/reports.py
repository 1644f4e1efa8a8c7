"""The trial's answer: change from baseline by recipe over weeks (R0 vs Rn), by stratum,
estimated at the tray level (services/analysis.py), with feeding compliance, adverse
events by recipe and the randomisation record.

A handful of bulk queries; the descriptive cells (mean, sample SD with n − 1, n) are
computed here, the inference (differences to R0 with 95% intervals) in analysis.py.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    AdverseEvent,
    Experiment,
    FeedingLog,
    MetricTemplate,
    Plant,
    PlantMetric,
    Species,
    utcnow,
)
from .analysis import Fit, Obs, fit_contrasts
from .assignment import assignments, latest_allocation
from .clock import local_today, zone_of
from .errors import Invalid
from .experiments import get_experiment
from .schedules.plan import plan as schedule_plan

SPLITS = (None, "category", "grade")


@dataclass(slots=True)
class Cell:
    n: int
    mean: float | None
    sd: float | None


def summarise(values: list[float]) -> Cell:
    n = len(values)
    if not n:
        return Cell(0, None, None)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return Cell(n, mean, sd)


@dataclass
class MetricReport:
    key: str
    label: str
    unit: str | None
    weeks: list[int]
    recipes: list[str]
    strata: list[str]  # [""] when not split
    # (stratum, recipe, week) -> Cell of the change from baseline
    cells: dict[tuple[str, str, int], Cell] = field(default_factory=dict)
    # (stratum, week) -> the tray-level fit of that week's change
    fits: dict[tuple[str, int], Fit] = field(default_factory=dict)
    counts: bool = False  # an integer field (leaves, traps): "more" / "fewer"

    def difference(self, stratum: str, recipe: str, week: int) -> float | None:
        """Mean change of ``recipe`` minus mean change of the control (R0)."""
        control = self.cells.get((stratum, "R0", week))
        cell = self.cells.get((stratum, recipe, week))
        if not control or not cell or control.mean is None or cell.mean is None:
            return None
        return cell.mean - control.mean


def _num(value: float) -> str:
    return f"{value:.2g}" if abs(value) < 0.1 else f"{value:.1f}"


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.2g}" if value < 0.01 \
        else f"p = {value:.2f}"


def answer_in_words(metric: MetricReport, week: int, stratum: str = "") -> list[str]:
    """One sentence per recipe: the tray-level difference to the control in week ``week``,
    or plainly why the design cannot tell."""
    fit = metric.fits.get((stratum, week))
    where = f" ({stratum})" if stratum else ""
    if fit is None:
        return [f"Week {week}{where}: no {metric.label.lower()} measurements."]
    if fit.problem:
        return [f"Week {week}{where}: {fit.problem}"]
    noun = metric.label.lower()
    unit = f" {metric.unit}" if metric.unit and metric.unit != "1–5" else ""
    adjusted = ", Holm-adjusted" if len(fit.contrasts) > 1 else ""
    out = []
    for c in fit.contrasts:
        size = abs(c.estimate)
        if metric.counts:
            more = "more" if c.estimate >= 0 else "fewer"
            claim = f"{c.recipe} plants gained {_num(size)} {more} {noun} than {c.vs}"
        else:
            more = "more" if c.estimate >= 0 else "less"
            claim = f"{noun} changed {_num(size)}{unit} {more} under {c.recipe} than {c.vs}"
        trays = (f"{c.n_units[c.vs]} trays each" if c.n_units[c.vs] == c.n_units[c.recipe]
                 else f"{c.n_units[c.recipe]} and {c.n_units[c.vs]} trays")
        sentence = (f"After {week} week{'s' if week != 1 else ''}{where} {claim} (95% CI "
                    f"{_num(c.ci_low)} to {_num(c.ci_high)}; {trays}; "
                    f"{_p(c.p_adjusted)}{adjusted}).")
        if c.ci_low <= 0 <= c.ci_high:
            sentence += " The interval includes no difference: the trial cannot tell yet."
        out.append(sentence[0].upper() + sentence[1:])
    return out


@dataclass
class Report:
    experiment: Experiment
    split: str | None
    metrics: list[MetricReport]
    feeding: dict[str, dict]  # recipe -> {"windows", "fed_windows", "percent"}
    adverse: dict[str, dict[str, int]]  # recipe -> kind -> count
    allocation: dict | None
    plants: int
    measured_weeks: list[int]
    schedules: dict[str, dict[str, int]] = field(default_factory=dict)
    # week -> (plants measured, active plants) for weeks still being measured
    in_progress: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def weeks_in_progress(self) -> list[int]:
        return sorted(self.in_progress)

    @property
    def answer_week(self) -> int | None:
        """The latest week whose measurements are complete: the one the answer is about."""
        done = [w for w in self.measured_weeks if w not in self.in_progress]
        return done[-1] if done else None

    @property
    def empty(self) -> bool:
        return not self.measured_weeks or all(not m.cells for m in self.metrics)


def _numeric_fields(session: Session, categories: set[str]) -> list[dict]:
    seen: dict[str, dict] = {}
    for fields in session.scalars(select(MetricTemplate.fields).where(
            MetricTemplate.category.in_(categories))):
        for f in fields or []:
            if f["type"] in ("int", "float") and f["key"] not in seen:
                seen[f["key"]] = f
    return list(seen.values())


def _recipe_order(codes) -> list[str]:
    return sorted({c for c in codes if c}, key=lambda c: (len(c), c))


def build_report(session: Session, *, experiment_id: int, split: str | None = None,
                 now: datetime | None = None) -> Report:
    if split not in SPLITS:
        raise Invalid(errors={"split": ["Split by category or grade, or not at all."]})
    experiment = get_experiment(session, experiment_id)
    plants = {pid: (cat, grade) for pid, cat, grade in session.execute(
        select(Plant.id, Species.category, Plant.grade).join(Species)
        .where(Plant.experiment_id == experiment.id))}
    assigned = assignments(session, experiment.id)
    recipe_of = {pid: a.recipe_code for pid, a in assigned.items()}
    rows = session.execute(select(PlantMetric.plant_id, PlantMetric.week_number,
                                  PlantMetric.values)
                           .join(Plant, Plant.id == PlantMetric.plant_id)
                           .where(Plant.experiment_id == experiment.id,
                                  PlantMetric.voided_at.is_(None))).all()
    values: dict[int, dict[int, dict]] = defaultdict(dict)
    for pid, week, vals in rows:
        values[pid][week] = vals or {}
    weeks = sorted({w for per in values.values() for w in per if w > 0})

    tray_of = {pid: a.tray_id for pid, a in assigned.items()}

    def stratum(pid: int) -> str:
        cat, grade = plants[pid]
        return {"category": cat, "grade": grade or "ungraded"}.get(split or "", "")

    recipes = _recipe_order(recipe_of.values())
    metrics = []
    for f in _numeric_fields(session, {c for c, _g in plants.values()}):
        key = f["key"]
        changes: dict[tuple[str, str, int], list[float]] = defaultdict(list)
        units: dict[tuple[str, int], list[Obs]] = defaultdict(list)
        for pid, per in values.items():
            base = per.get(0, {}).get(key)
            recipe = recipe_of.get(pid)
            if base is None or recipe is None or isinstance(base, bool):
                continue
            for week, vals in per.items():
                v = vals.get(key)
                if week > 0 and v is not None and not isinstance(v, bool):
                    change = float(v) - float(base)
                    changes[(stratum(pid), recipe, week)].append(change)
                    units[(stratum(pid), week)].append(Obs(recipe, tray_of[pid], change))
        report = MetricReport(key=key, label=f["label"], unit=f.get("unit"), weeks=weeks,
                              recipes=recipes, counts=f["type"] == "int",
                              strata=sorted({s for s, _r, _w in changes}) or [""])
        report.cells = {k: summarise(v) for k, v in changes.items()}
        report.fits = {k: fit_contrasts(obs) for k, obs in sorted(units.items())}
        metrics.append(report)
    return Report(experiment=experiment, split=split, metrics=metrics,
                  feeding=feeding_compliance(session, experiment, recipe_of, now=now),
                  adverse=adverse_by_recipe(session, experiment.id, recipe_of),
                  allocation=latest_allocation(session, experiment.id), plants=len(plants),
                  measured_weeks=weeks, schedules=schedule_compliance(session, experiment, now),
                  in_progress=weeks_in_progress(session, experiment, values, now=now))


def weeks_in_progress(session: Session, experiment: Experiment,
                      values: dict[int, dict[int, dict]], *, now: datetime | None = None
                      ) -> dict[int, tuple[int, int]]:
    """Weeks not over yet (the current week of a running trial, or later) whose active
    plants are not all measured: {week: (measured, active)}."""
    if experiment.status != "running" or experiment.started_at is None:
        return {}
    current = ((now or utcnow()) - experiment.started_at).days // 7
    active = set(session.scalars(select(Plant.id).where(
        Plant.experiment_id == experiment.id, Plant.status == "active")))
    out = {}
    for week in sorted({w for per in values.values() for w in per if w >= max(current, 1)}):
        measured = sum(1 for pid in active if week in values.get(pid, {}))
        if measured < len(active):
            out[week] = (measured, len(active))
    return out


def feeding_compliance(session: Session, experiment: Experiment, recipe_of: dict[int, str],
                       *, now: datetime | None = None) -> dict[str, dict]:
    """Share of feeding windows (consecutive ``feeding_window_days`` since the start) in which
    each plant was fed at least once, by recipe. Windows after a plant's removal don't count."""
    if experiment.started_at is None:
        return {}
    end = experiment.stopped_at or now or utcnow()
    window = experiment.feeding_window_days
    span = max((end - experiment.started_at).days, 0)
    removed = dict(session.execute(select(Plant.id, Plant.removed_at).where(
        Plant.experiment_id == experiment.id)).all())
    fed: dict[int, set[int]] = defaultdict(set)
    for pid, at in session.execute(select(FeedingLog.plant_id, FeedingLog.fed_at)
                                   .join(Plant, Plant.id == FeedingLog.plant_id)
                                   .where(Plant.experiment_id == experiment.id,
                                          FeedingLog.status == "fed",
                                          FeedingLog.voided_at.is_(None))):
        fed[pid].add((at - experiment.started_at).days // window)
    out: dict[str, dict] = {}
    for pid, recipe in recipe_of.items():
        if recipe is None:
            continue
        last_day = span if removed.get(pid) is None else \
            max(min((removed[pid] - experiment.started_at).days, span), 0)
        windows = last_day // window  # complete windows only
        entry = out.setdefault(recipe, {"windows": 0, "fed_windows": 0})
        entry["windows"] += windows
        entry["fed_windows"] += sum(1 for w in fed.get(pid, ()) if 0 <= w < windows)
    for entry in out.values():
        entry["percent"] = round(100 * entry["fed_windows"] / entry["windows"], 1) \
            if entry["windows"] else None
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))


def adverse_by_recipe(session: Session, experiment_id: int,
                      recipe_of: dict[int, str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for pid, kind, resolved in session.execute(
            select(AdverseEvent.plant_id, AdverseEvent.kind, AdverseEvent.resolved_at)
            .join(Plant, Plant.id == AdverseEvent.plant_id)
            .where(Plant.experiment_id == experiment_id, AdverseEvent.voided_at.is_(None))):
        bucket = out.setdefault(recipe_of.get(pid) or "unassigned", {})
        bucket[kind] = bucket.get(kind, 0) + 1
        if resolved is None:
            bucket["open"] = bucket.get("open", 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))


def schedule_compliance(session: Session, experiment: Experiment,
                        now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Per action type: occurrences since the start (before today) done, done automatically
    by logged work, skipped, or missed."""
    if experiment.started_at is None:
        return {}
    tz = zone_of(session)  # days where the tents are, as in the plan
    today = local_today(tz, now)
    start = local_today(tz, experiment.started_at)
    end = min((local_today(tz, experiment.stopped_at) if experiment.stopped_at else today),
              today)
    days = (end - start).days
    if days <= 0:
        return {}
    out: dict[str, dict[str, int]] = {}
    plan = schedule_plan(session, experiment_id=experiment.id, start=start,
                         days=min(days, 366), today=today)
    for day in plan["days"]:
        for group in day["groups"]:
            for action in group["actions"]:
                counts = out.setdefault(action["action_type"],
                                        {"done": 0, "automatic": 0, "skipped": 0, "missed": 0})
                status = action["status"]
                if status == "done":
                    counts["automatic" if action.get("automatic") else "done"] += 1
                elif status == "skipped":
                    counts["skipped"] += 1
                else:
                    counts["missed"] += 1
    return out
