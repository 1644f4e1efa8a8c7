"""A plant's (or a tray's) story: each numeric metric week by week, and the photos grouped
by week. Three queries whatever the history's length (measurements, templates, photos);
none when the caller has read them (the cockpit)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ...models import Experiment, MetricTemplate, Photo, Plant, PlantMetric

PHOTOS = 48  # the newest photos on one timeline


@dataclass
class Trend:
    """One metric over weeks: a plant's values, or a tray's plants and their mean."""

    key: str
    label: str
    unit: str | None
    points: list[tuple[int, float]] = field(default_factory=list)  # plant value or tray mean
    plants: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # tray: per plant

    @property
    def change(self) -> float | None:
        """Last value minus the first (the baseline when week 0 is measured)."""
        return self.points[-1][1] - self.points[0][1] if len(self.points) > 1 else None


@dataclass
class PhotoWeek:
    week: int  # 0: baseline (or before the start)
    photos: list[tuple]  # (photo row: the photos table's columns, plant code)


@dataclass
class History:
    trends: list[Trend]
    photo_weeks: list[PhotoWeek]
    photo_count: int


@cache
def _photos_statement():
    """Built once, the plant ids bound per call (expanding): Core rows of the photos
    table, which the timeline only reads."""
    photos = Photo.__table__
    return (select(photos).where(photos.c.plant_id.in_(bindparam("ids", expanding=True)))
            .order_by(photos.c.created_at.desc(), photos.c.id.desc()).limit(PHOTOS))


def _numeric_fields(session: Session, categories: set[str]) -> list[dict]:
    seen: dict[str, dict] = {}
    for category, fields in session.execute(select(MetricTemplate.category,
                                                   MetricTemplate.fields)
                                            .order_by(MetricTemplate.category)):
        if category in categories:
            for f in fields or []:
                if f["type"] in ("int", "float") and f["key"] not in seen:
                    seen[f["key"]] = f
    return list(seen.values())


def _week_of(photo, started_at: datetime | None) -> int:
    if photo.week_number is not None:
        return photo.week_number
    if started_at is None or photo.created_at < started_at:
        return 0
    return (photo.created_at - started_at).days // 7


def _value(raw) -> float | None:
    if raw is None or isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def numeric_fields(fields: list[dict]) -> list[dict]:
    """The numeric fields of one template (what a trend can draw)."""
    return [f for f in fields or [] if f["type"] in ("int", "float")]


def history(session: Session, *, experiment: Experiment, plants: list[Plant],
            fields: list[dict] | None = None,
            measured: list[tuple[int, int, dict]] | None = None,
            photos: list | None = None) -> History:
    """The story of ``plants`` (one plant: its cockpit; several: a tray). The plants'
    species must be loaded. A caller that already read them passes the numeric ``fields``,
    the ``measured`` rows (plant id, week, values; week order) and the ``photos`` (newest
    first, at most PHOTOS; attributes as the photos table's), saving three queries."""
    ids = [p.id for p in plants]
    codes = {p.id: p.plant_code for p in plants}
    if fields is None:
        fields = _numeric_fields(session, {p.species.category for p in plants}) if plants else []
    by_key: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(dict)
    if measured is not None:
        rows = measured
    else:
        rows = session.execute(select(PlantMetric.plant_id, PlantMetric.week_number,
                                      PlantMetric.values).where(PlantMetric.plant_id.in_(ids))
                               .order_by(PlantMetric.week_number)).all() if ids else []
    for pid, week, values in rows:
        for f in fields:
            v = _value((values or {}).get(f["key"]))
            if v is not None:
                by_key[f["key"]].setdefault(codes[pid], []).append((week, v))
    trends = []
    for f in fields:
        per_plant = by_key.get(f["key"])
        if not per_plant:
            continue
        trend = Trend(key=f["key"], label=f["label"], unit=f.get("unit"))
        if len(plants) == 1:
            trend.points = next(iter(per_plant.values()))
        else:
            trend.plants = dict(sorted(per_plant.items()))
            weekly: dict[int, list[float]] = defaultdict(list)
            for series in per_plant.values():
                for week, v in series:
                    weekly[week].append(v)
            trend.points = [(w, sum(vs) / len(vs)) for w, vs in sorted(weekly.items())]
        trends.append(trend)
    if photos is None:
        photos = session.execute(_photos_statement(), {"ids": ids}).all() if ids else []
    weeks: dict[int, list[tuple]] = defaultdict(list)
    for ph in reversed(photos):  # oldest first: a story is read forwards
        weeks[_week_of(ph, experiment.started_at)].append((ph, codes[ph.plant_id]))
    return History(trends=trends, photo_count=len(photos),
                   photo_weeks=[PhotoWeek(w, weeks[w]) for w in sorted(weeks)])
