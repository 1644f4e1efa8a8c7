"""A quantity over 24 h or 7 d from the hourly roll-ups, as plain SVG geometry: the
hourly min–max band, the mean line, both broken where an hour has no readings (a gap),
and the tent's range shaded behind them. Colours are presentation attributes (CSP), as in
reports/charts.py.

Points come as ``(hour start in epoch seconds, mean, min, max)`` tuples (see
``TentEnvironment.series``): the page draws fourteen charts from a week of roll-ups, so
the geometry is float arithmetic, not datetime arithmetic per point."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...models import TentRange
from ...services.environment.units import QUANTITIES
from ..reports.charts import _nice_step

W, H = 360, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 24
LINE, BAND, RANGE, OUT = "#2f6fd0", "#2f6fd0", "#2f9d4e", "#d97706"
HOUR = 3600.0
GAP = 1.5 * HOUR  # hour starts further apart than this: at least one hour without data
DASH = 1.5  # half the width (px) an hour alone between gaps is drawn with


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
    gaps: int = 0  # breaks in the line (hours without readings between two with)
    line: str = LINE
    band: str = BAND
    range_colour: str = RANGE
    point: str = LINE  # the newest hour's dot; amber when its mean is out of range
    left: int = LEFT
    right_x: int = W - RIGHT


def env_chart(points: list[tuple], *, quantity: str, start: datetime, end: datetime,
              rng: TentRange | None, title: str, zone) -> EnvChart | None:
    if not points:
        return None
    q = QUANTITIES[quantity]
    bounds = [v for v in ((rng.low, rng.high) if rng else ()) if v is not None]
    low = min([p[2] for p in points] + bounds)
    high = max([p[3] for p in points] + bounds)
    step = _nice_step((high - low) or 1)
    y_min, y_max = step * (low // step), step * -(-high // step)
    if y_max <= y_min:
        y_max = y_min + step
    t0 = start.timestamp()
    span = (end - start).total_seconds()
    kx = (W - LEFT - RIGHT) / span
    ky = (H - TOP - BOTTOM) / (y_max - y_min)
    x_end = float(W - RIGHT)

    # an hour's mean sits at its middle, inside the plot (the running hour's middle can be
    # right of "now", the hour before the window's left of its start)
    x0 = LEFT + (HOUR / 2 - t0) * kx

    def sx(ts: float) -> float:
        return min(max(x0 + ts * kx, LEFT), x_end)

    def sy(v: float) -> float:
        return TOP + (y_max - v) * ky

    chart = EnvChart(title=title, unit=q.unit)
    mean_parts, band_parts = [], []
    # runs of consecutive hours, split where an hour (or more) has no data
    cuts = [i for i in range(1, len(points)) if points[i][0] - points[i - 1][0] > GAP]
    chart.gaps = len(cuts)
    # the scales inlined below (1,300 points a page): sx as above, sy(v) == c0 - v * ky
    xs = [f"{min(max(x0 + p[0] * kx, LEFT), x_end):.1f}," for p in points]
    c0 = TOP + y_max * ky
    for i, j in zip([0, *cuts], [*cuts, len(points)], strict=True):
        if j - i == 1:  # an hour alone: a short dash and a bar, so it stays visible
            ts, mean, lo, hi = points[i]
            x = sx(ts)
            mean_parts.append(f"M{x - DASH:.1f},{sy(mean):.1f}h{2 * DASH:g}")
            band_parts.append(f"M{x - DASH:.1f},{sy(hi):.1f}h{2 * DASH:g}"
                              f"V{sy(lo):.1f}h{-2 * DASH:g}Z")
            continue
        run, rx = points[i:j], xs[i:j]
        mean_parts.append("M" + "L".join([x + f"{c0 - p[1] * ky:.1f}"
                                          for x, p in zip(rx, run, strict=True)]))
        upper = [x + f"{c0 - p[3] * ky:.1f}" for x, p in zip(rx, run, strict=True)]
        lower = [x + f"{c0 - p[2] * ky:.1f}" for x, p in zip(rx, run, strict=True)]
        lower.reverse()
        band_parts.append("M" + "L".join(upper + lower) + "Z")
    chart.mean_path = " ".join(mean_parts)
    chart.band_path = " ".join(band_parts)
    last_ts, last = points[-1][0], points[-1][1]
    chart.last_point = (sx(last_ts), sy(last))
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
            chart.x_ticks.append((LEFT + (t.timestamp() - t0) * kx,
                                  f"{t:%H:%M}" if not tick.days else f"{t:%a}"))
        t += tick
    return chart
