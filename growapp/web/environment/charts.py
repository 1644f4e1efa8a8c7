"""A quantity over 24 h or 7 d from the hourly roll-ups, as plain SVG geometry: the
hourly min–max band, the mean line and the tent's range shaded behind them. Colours are
presentation attributes (CSP), as in reports/charts.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...models import TentRange
from ...services.environment.units import QUANTITIES
from ..reports.charts import _nice_step

W, H = 360, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 24
LINE, BAND, RANGE, OUT = "#2f6fd0", "#2f6fd0", "#2f9d4e", "#d97706"


@dataclass
class EnvChart:
    title: str
    unit: str
    width: int = W
    height: int = H
    mean_path: str = ""
    band_path: str = ""
    range_box: tuple[float, float] | None = None  # (y_top, y_bottom) of the shaded range
    last_point: tuple[float, float] | None = None  # the newest hour's mean (one hour: a dot)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    line: str = LINE
    band: str = BAND
    range_colour: str = RANGE
    point: str = LINE  # the newest hour's dot; amber when its mean is out of range
    left: int = LEFT
    right_x: int = W - RIGHT


def env_chart(hours: list, *, quantity: str, start: datetime, end: datetime,
              rng: TentRange | None, title: str, zone) -> EnvChart | None:
    if not hours:
        return None
    q = QUANTITIES[quantity]
    lows = [h.min for h in hours] + [v for v in ((rng.low, rng.high) if rng else ())
                                     if v is not None]
    highs = [h.max for h in hours] + lows
    step = _nice_step((max(highs) - min(lows)) or 1)
    y_min, y_max = step * (min(lows) // step), step * -(-max(highs) // step)
    if y_max <= y_min:
        y_max = y_min + step
    span = (end - start).total_seconds()

    def sx(at: datetime) -> float:
        return LEFT + (at - start).total_seconds() / span * (W - LEFT - RIGHT)

    def sy(v: float) -> float:
        return TOP + (y_max - v) / (y_max - y_min) * (H - TOP - BOTTOM)

    half = timedelta(minutes=30)
    # an hour's mean sits at its middle, but never right of "now" (the running hour)
    pts = [(min(sx(h.hour + half), sx(end)), h) for h in hours]
    chart = EnvChart(title=title, unit=q.unit)
    chart.mean_path = " ".join(("M" if i == 0 else "L") + f"{x:.1f},{sy(h.total / h.n):.1f}"
                               for i, (x, h) in enumerate(pts))
    upper = [f"{x:.1f},{sy(h.max):.1f}" for x, h in pts]
    lower = [f"{x:.1f},{sy(h.min):.1f}" for x, h in reversed(pts)]
    chart.band_path = "M" + " L".join(upper + lower) + " Z"
    last = pts[-1][1].total / pts[-1][1].n
    chart.last_point = (pts[-1][0], sy(last))
    if rng and ((rng.low is not None and last < rng.low) or
                (rng.high is not None and last > rng.high)):
        chart.point = OUT
    if rng:
        top = sy(min(rng.high, y_max)) if rng.high is not None else TOP
        bottom = sy(max(rng.low, y_min)) if rng.low is not None else H - BOTTOM
        chart.range_box = (top, bottom)
    v = y_min
    while v <= y_max + step / 2:
        chart.y_ticks.append((sy(v), f"{v:g}"))
        v += step
    tick = timedelta(hours=6) if span <= 86400 * 1.01 else timedelta(days=1)
    t = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    t = t.replace(hour=0) if tick.days else t.replace(hour=t.hour - t.hour % 6)
    while t <= end:
        if t >= start:
            chart.x_ticks.append((sx(t), f"{t:%H:%M}" if not tick.days else f"{t:%a}"))
        t += tick
    return chart
