"""Line charts as plain SVG geometry: each recipe's tray-level difference to the control
(R0, the zero line) over weeks, with 95% confidence whiskers; a week still being measured
is drawn hollow. No library and no inline style (CSP): colours are presentation
attributes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...services.reports import MetricReport

COLOURS = {"grey": "#6b7068", "blue": "#2f6fd0", "orange": "#e07b1f", "green": "#2f9d4e",
           "purple": "#8a4fd0", "red": "#d03a2f", "teal": "#1f9d9d", "yellow": "#b8960c"}
FALLBACK = ["#6b7068", "#2f6fd0", "#e07b1f", "#2f9d4e", "#8a4fd0", "#d03a2f", "#1f9d9d"]
W, H = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34


@dataclass
class Series:
    recipe: str
    colour: str
    points: list[tuple[float, float]]  # (x, y) in px
    whiskers: list[tuple[float, float, float]]  # (x, y_low, y_high)
    dash: str = ""
    hollow: list[tuple[float, float]] = field(default_factory=list)  # weeks in progress

    @property
    def path(self) -> str:
        return " ".join(("M" if i == 0 else "L") + f"{x:.1f},{y:.1f}"
                        for i, (x, y) in enumerate(self.points))


@dataclass
class Chart:
    title: str
    width: int = W
    height: int = H
    series: list[Series] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    zero_y: float | None = None
    control: str = "R0"
    in_progress: bool = False


def _nice_step(span: float) -> float:
    raw = span / 4 or 1
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= magnitude * mult:
            return magnitude * mult
    return raw


def contrast_chart(metric: MetricReport, stratum: str, colours: dict[str, str],
                   in_progress: list[int] = ()) -> Chart | None:
    """Estimate ± 95% CI of every recipe against the control, week by week."""
    weeks = metric.weeks
    fits = {w: metric.fits.get((stratum, w)) for w in weeks}
    recipes = [r for r in metric.recipes if r != "R0"]
    data = {r: [(w, next((c for c in (fits[w].contrasts if fits[w] else ())
                          if c.recipe == r), None)) for w in weeks] for r in recipes}
    lows, highs = [0.0], [0.0]
    for pairs in data.values():
        for _w, c in pairs:
            if c is not None and c.estimate is not None:
                lows.append(c.ci_low if c.ci_low is not None else c.estimate)
                highs.append(c.ci_high if c.ci_high is not None else c.estimate)
    if not weeks or len(lows) == 1:
        return None
    step = _nice_step(max(highs) - min(lows))
    y_min = step * (min(lows) // step)
    y_max = step * -(-max(highs) // step)
    if y_max == y_min:
        y_max = y_min + step

    def sx(week: int) -> float:
        if len(weeks) == 1:
            return LEFT + (W - LEFT - RIGHT) / 2
        return LEFT + (week - weeks[0]) / (weeks[-1] - weeks[0]) * (W - LEFT - RIGHT)

    def sy(value: float) -> float:
        return TOP + (y_max - value) / (y_max - y_min) * (H - TOP - BOTTOM)

    chart = Chart(title=metric.label, in_progress=any(w in in_progress for w in weeks))
    chart.x_ticks = [(sx(w), f"{w}*" if w in in_progress else str(w)) for w in weeks]
    ticks, v = [], y_min
    while v <= y_max + step / 2:
        ticks.append((sy(v), f"{v:g}"))
        v += step
    chart.y_ticks = ticks
    chart.zero_y = sy(0)
    for n, (recipe, pairs) in enumerate(data.items(), start=1):
        colour = colours.get(recipe) or FALLBACK[n % len(FALLBACK)]
        series = Series(recipe=recipe, colour=colour, points=[], whiskers=[])
        for week, c in pairs:
            if c is None or c.estimate is None:
                continue
            x = sx(week) + (n - (len(data) + 1) / 2) * 4  # spread whiskers apart
            point = (x, sy(c.estimate))
            if week in in_progress:
                series.hollow.append(point)  # not plotted as if complete: no line to it
                continue
            series.points.append(point)
            if c.ci_low is not None:
                series.whiskers.append((x, sy(c.ci_low), sy(c.ci_high)))
        if series.points or series.hollow:
            chart.series.append(series)
    return chart
