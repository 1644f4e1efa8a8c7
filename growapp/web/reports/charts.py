"""Line charts as plain SVG geometry: mean change from baseline per recipe over weeks, with
±SD whiskers. No library and no inline style (CSP): colours are presentation attributes."""

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


def _nice_step(span: float) -> float:
    raw = span / 4 or 1
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= magnitude * mult:
            return magnitude * mult
    return raw


def line_chart(metric: MetricReport, stratum: str, colours: dict[str, str]) -> Chart | None:
    weeks = metric.weeks
    data = {r: [(w, metric.cells.get((stratum, r, w))) for w in weeks] for r in metric.recipes}
    lows, highs = [0.0], [0.0]
    for pairs in data.values():
        for _w, c in pairs:
            if c and c.mean is not None:
                sd = c.sd or 0
                lows.append(c.mean - sd)
                highs.append(c.mean + sd)
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

    chart = Chart(title=metric.label)
    chart.x_ticks = [(sx(w), str(w)) for w in weeks]
    ticks, v = [], y_min
    while v <= y_max + step / 2:
        ticks.append((sy(v), f"{v:g}"))
        v += step
    chart.y_ticks = ticks
    chart.zero_y = sy(0) if y_min <= 0 <= y_max else None
    for n, (recipe, pairs) in enumerate(data.items()):
        colour = colours.get(recipe) or FALLBACK[n % len(FALLBACK)]
        series = Series(recipe=recipe, colour=colour, points=[], whiskers=[])
        for week, cell in pairs:
            if cell and cell.mean is not None:
                x = sx(week) + (n - (len(data) - 1) / 2) * 3  # spread whiskers apart
                series.points.append((x, sy(cell.mean)))
                if cell.sd:
                    series.whiskers.append((x, sy(cell.mean - cell.sd), sy(cell.mean + cell.sd)))
        if recipe == "R0":
            series.dash = "5 4"  # the control is drawn dashed: readable in black and white
        if series.points:
            chart.series.append(series)
    return chart
