"""Quantities, their units and the values a sensor can physically report; VPD and DLI.

Every reading is stored in its quantity's canonical unit; other units are converted on
the way in (°F → °C, µS/cm → mS/cm, K → °C). Limits refuse values no sensor in a grow
tent produces (a humidity of 140 %, a pH of 15), so a wrong unit or a typo is caught."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quantity:
    name: str
    unit: str  # canonical, as shown
    label: str
    low: float
    high: float
    units: dict[str, Callable[[float], float]] = field(default_factory=dict)
    digits: int = 1


def _same(v: float) -> float:
    return v


QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("temperature", "°C", "Temperature", -40, 70, {
        "c": _same, "celsius": _same, "f": lambda v: (v - 32) * 5 / 9,
        "fahrenheit": lambda v: (v - 32) * 5 / 9, "k": lambda v: v - 273.15}),
    Quantity("humidity", "%", "Humidity", 0, 100, {"%": _same, "pct": _same, "rh": _same,
                                                   "%rh": _same}),
    Quantity("ppfd", "µmol/m²/s", "PPFD", 0, 3000, {"umol/m2/s": _same, "umol/m2s": _same,
                                                     "umol": _same}, digits=0),
    Quantity("lux", "lx", "Illuminance", 0, 200_000, {"lx": _same, "lux": _same,
                                                      "klx": lambda v: v * 1000}, digits=0),
    Quantity("co2", "ppm", "CO₂", 0, 20_000, {"ppm": _same}, digits=0),
    Quantity("ec", "mS/cm", "EC", 0, 20, {"ms/cm": _same, "us/cm": lambda v: v / 1000},
             digits=2),
    Quantity("ph", "pH", "pH", 0, 14, {"ph": _same, "": _same}, digits=2),
)}


def _norm_unit(unit: str) -> str:
    u = unit.strip().lower().replace("µ", "u").replace("μ", "u").replace("²", "2")
    return u.replace("°", "").replace(" ", "").replace("·", "")


def known_units(quantity: str) -> list[str]:
    q = QUANTITIES[quantity]
    return [q.unit] + sorted(u for u in q.units if u and _norm_unit(q.unit) != u)


def to_canonical(quantity: str, value: float, unit: str | None) -> float:
    """The value in the canonical unit. Raises ValueError with a sentence for an unknown
    quantity or unit, a value that is not a finite number, or one outside the physical
    limits."""
    q = QUANTITIES.get(quantity)
    if q is None:
        raise ValueError(f"Unknown quantity {quantity!r}; use one of "
                         f"{', '.join(QUANTITIES)}.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("Give the value as a number.")
    convert = _same
    if unit is not None and _norm_unit(unit) != _norm_unit(q.unit):
        convert = q.units.get(_norm_unit(unit))
        if convert is None:
            raise ValueError(f"Unknown unit {unit!r} for {quantity}; use "
                             f"{', '.join(known_units(quantity))}.")
    canonical = convert(float(value))
    if not q.low <= canonical <= q.high:
        raise ValueError(f"{q.label} {canonical:g} {q.unit} is impossible; a sensor reports "
                         f"{q.low:g} to {q.high:g} {q.unit}.")
    return canonical


def vpd_kpa(temperature_c: float, humidity_pct: float) -> float:
    """Vapour pressure deficit of the air (kPa), Tetens' saturation pressure."""
    saturation = 0.6108 * math.exp(17.27 * temperature_c / (temperature_c + 237.3))
    return saturation * (1 - humidity_pct / 100)


def ppfd_from_lux(lux: float, factor: float) -> float:
    """PPFD (µmol/m²/s) from illuminance with the lamp's factor (sunlight ≈ 0.0185,
    white LED ≈ 0.014–0.019, HPS ≈ 0.0122)."""
    return lux * factor


def dli_mol(hourly_ppfd_means: list[float]) -> float:
    """Daily light integral (mol/m²/day) from the day's hourly mean PPFD values; an hour
    without readings counts as dark."""
    return sum(hourly_ppfd_means) * 3600 / 1_000_000


def fmt(quantity: str, value: float | None) -> str:
    if value is None:
        return "–"
    q = QUANTITIES[quantity]
    return f"{value:.{q.digits}f}"
