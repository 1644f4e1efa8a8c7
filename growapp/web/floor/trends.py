"""Small trend lines for the cockpit and the tray page, as plain SVG geometry (no inline
style: strict CSP; colours are presentation attributes or currentColor)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...services.read.history import Trend

W, H = 320, 96
LEFT, RIGHT, TOP, BOTTOM = 22, 22, 18, 20
LABELLED = 8  # label every point up to this many weeks, else first, last, lowest, highest


@dataclass
class Spark:
    label: str
    unit: str | None
    width: int = W
    height: int = H
    path: str = ""
    points: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, value label
    plant_paths: list[str] = field(default_factory=list)  # tray: one faint line a plant
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    last: str = ""
    change: str = ""
    summary: str = ""  # the values in words, for screen readers


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _path(coords: list[tuple[float, float]]) -> str:
    return " ".join(("M" if i == 0 else "L") + f"{x:.1f},{y:.1f}"
                    for i, (x, y) in enumerate(coords))


def spark(trend: Trend) -> Spark:
    series = [trend.points, *trend.plants.values()]
    weeks = sorted({w for s in series for w, _v in s})
    values = [v for s in series for _w, v in s]
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1

    def sx(week: int) -> float:
        if len(weeks) == 1:
            return LEFT + (W - LEFT - RIGHT) / 2
        return LEFT + (week - weeks[0]) / (weeks[-1] - weeks[0]) * (W - LEFT - RIGHT)

    def sy(value: float) -> float:
        return TOP + (hi - value) / (hi - lo) * (H - TOP - BOTTOM)

    unit = f" {trend.unit}" if trend.unit and trend.unit != "1–5" else ""
    out = Spark(label=trend.label, unit=trend.unit)
    out.plant_paths = [_path([(sx(w), sy(v)) for w, v in s]) for s in trend.plants.values()
                       if len(s) > 1]
    coords = [(sx(w), sy(v)) for w, v in trend.points]
    out.path = _path(coords)
    vals = [v for _w, v in trend.points]
    keep = set(range(len(vals))) if len(vals) <= LABELLED else \
        {0, len(vals) - 1, vals.index(min(vals)), vals.index(max(vals))}
    out.points = [(x, y, _fmt(v) if i in keep else "")
                  for i, ((x, y), v) in enumerate(zip(coords, vals, strict=True))]
    step = max(1, -(-len(weeks) // 8))
    out.x_ticks = [(sx(w), "base" if w == 0 else f"wk {w}" if i == 0 else str(w))
                   for i, w in enumerate(weeks) if i % step == 0 or w == weeks[-1]]
    out.last = _fmt(vals[-1]) + unit
    if trend.change is not None:
        since = "since baseline" if trend.points[0][0] == 0 else f"since week {weeks[0]}"
        out.change = f"{trend.change:+.1f}".replace(".0", "") + f"{unit} {since}"
    what = "tray mean" if trend.plants else trend.label
    out.summary = f"{what}: " + ", ".join(
        f"week {w} {_fmt(v)}" for w, v in trend.points)
    return out
