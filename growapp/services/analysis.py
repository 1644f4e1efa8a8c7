"""Tray-level inference: did a recipe beat the control, by how much, how sure are we?

Plants of one tray share its recipe, slot, light and watering, so the **tray** is the
experimental unit. For one metric, week and stratum: each tray's mean change from
baseline is one observation; ordinary least squares with the recipe as the factor (the
control as reference) gives each recipe's difference to the control with a t interval on
trays − recipes degrees of freedom; p-values are Holm-adjusted across the recipes of that
fit. The intraclass correlation (share of variance between trays within a recipe) comes
from the nested one-way ANOVA moment estimator on the plant values.

statsmodels is imported inside the functions: only building a report pays for it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

METHOD = "ols-tray-means"
CONTROL = "R0"
ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True, slots=True)
class Obs:
    """One plant's change from baseline in one tray."""

    recipe: str
    tray: int | str
    value: float


@dataclass(slots=True)
class Contrast:
    recipe: str
    vs: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    n_units: dict[str, int]
    n_plants: dict[str, int]
    method: str = METHOD


@dataclass
class Fit:
    """One fit: a metric × week × stratum."""

    contrasts: list[Contrast] = field(default_factory=list)
    df: int = 0
    icc: float | None = None
    tray_sd: float | None = None  # residual SD of the tray means (the design's spread)
    trays: dict[str, int] = field(default_factory=dict)  # recipe -> trays
    plants: dict[str, int] = field(default_factory=dict)  # recipe -> plants
    problem: str | None = None  # why the design cannot tell, in words

    @property
    def can_tell(self) -> bool:
        return self.problem is None


def _order(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes), key=lambda c: (len(c), c))


def tray_means(observations: Iterable[Obs]) -> dict[tuple[str, int | str], list[float]]:
    groups: dict[tuple[str, int | str], list[float]] = defaultdict(list)
    for o in observations:
        groups[(o.recipe, o.tray)].append(o.value)
    return groups


def fit_contrasts(observations: Iterable[Obs], *, control: str = CONTROL,
                  alpha: float = ALPHA) -> Fit:
    """Differences of every recipe to ``control`` estimated on tray means (see module)."""
    import numpy as np
    import statsmodels.api as sm

    groups = tray_means(observations)
    recipes = _order(r for r, _t in groups)
    fit = Fit()
    for (recipe, _tray), values in groups.items():
        fit.trays[recipe] = fit.trays.get(recipe, 0) + 1
        fit.plants[recipe] = fit.plants.get(recipe, 0) + len(values)
    fit.trays = {r: fit.trays[r] for r in recipes}
    fit.plants = {r: fit.plants[r] for r in recipes}
    others = [r for r in recipes if r != control]
    if control not in fit.trays:
        fit.problem = f"No {control} (control) tray has a measurement for this week."
        return fit
    if not others:
        fit.problem = "Only the control has measurements for this week."
        return fit
    keys = list(groups)
    y = np.array([sum(groups[k]) / len(groups[k]) for k in keys])
    x = np.array([[1.0] + [1.0 if k[0] == r else 0.0 for r in others] for k in keys])
    model = sm.OLS(y, x).fit()
    fit.df = int(round(model.df_resid))
    fit.icc = _icc(groups)
    if fit.df < 1:
        fit.problem = (f"Too few trays to tell: {len(keys)} trays for {len(recipes)} recipes "
                       "leave no way to measure how much trays differ. Use at least two "
                       "trays per recipe.")
    elif math.sqrt(model.scale) <= 1e-9 * (1 + float(np.abs(y).max())):
        fit.df = 0  # no spread: intervals and p-values would be artefacts of rounding
        fit.problem = ("The trays of each recipe changed exactly alike, so there is no "
                       "spread to judge a difference by.")
    else:
        fit.tray_sd = math.sqrt(model.scale)
    with np.errstate(all="ignore"):
        ci = model.conf_int(alpha) if fit.df >= 1 else None
    p_raw = [float(model.pvalues[i + 1]) for i in range(len(others))] if fit.df >= 1 else []
    p_adj = holm(p_raw) if p_raw else []
    for i, recipe in enumerate(others):
        ok = fit.df >= 1 and not math.isnan(p_raw[i])
        fit.contrasts.append(Contrast(
            recipe=recipe, vs=control, estimate=float(model.params[i + 1]),
            ci_low=float(ci[i + 1][0]) if ok else None,
            ci_high=float(ci[i + 1][1]) if ok else None,
            p_value=p_raw[i] if ok else None, p_adjusted=float(p_adj[i]) if ok else None,
            n_units={control: fit.trays[control], recipe: fit.trays[recipe]},
            n_plants={control: fit.plants[control], recipe: fit.plants[recipe]}))
    return fit


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values, as statsmodels' ``multipletests(method="holm")`` gives them
    (tests compare the two). Not called through statsmodels because its Holm branch runs
    ``gc.collect()`` on every call: 0.2–0.5 s per fit in a process holding the app, which
    made the demo report take 6 s."""
    import numpy as np

    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.minimum(np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1)), 1.0)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return [float(v) for v in out]


def _icc(groups: dict[tuple[str, int | str], list[float]]) -> float | None:
    """Share of the variance between trays of one recipe: σ²_tray / (σ²_tray + σ²_plant),
    from the nested one-way ANOVA (trays within recipes) moment estimator."""
    by_recipe: dict[str, list[list[float]]] = defaultdict(list)
    for (recipe, _tray), values in groups.items():
        by_recipe[recipe].append(values)
    n_total = sum(len(v) for v in groups.values())
    trays, recipes = len(groups), len(by_recipe)
    if trays - recipes < 1 or n_total - trays < 1:
        return None
    ss_between = ss_within = 0.0
    n0_sum = 0.0
    for tray_lists in by_recipe.values():
        recipe_n = sum(len(v) for v in tray_lists)
        recipe_mean = sum(sum(v) for v in tray_lists) / recipe_n
        for values in tray_lists:
            mean = sum(values) / len(values)
            ss_between += len(values) * (mean - recipe_mean) ** 2
            ss_within += sum((v - mean) ** 2 for v in values)
        n0_sum += sum(len(v) ** 2 for v in tray_lists) / recipe_n
    ms_between = ss_between / (trays - recipes)
    ms_within = ss_within / (n_total - trays)
    n0 = (n_total - n0_sum) / (trays - recipes)
    tray_var = max((ms_between - ms_within) / n0, 0.0) if n0 > 0 else 0.0
    total = tray_var + ms_within
    return tray_var / total if total > 0 else None


def plant_level_contrasts(observations: Iterable[Obs], *, control: str = CONTROL,
                          alpha: float = ALPHA) -> dict[str, tuple[float, float, float]]:
    """The naive analysis that treats plants as independent: {recipe: (est, low, high)}.
    Only for comparison (tests, the docs): its intervals are too narrow when trays differ."""
    import numpy as np
    import statsmodels.api as sm

    obs = list(observations)
    others = [r for r in _order(o.recipe for o in obs) if r != control]
    y = np.array([o.value for o in obs])
    x = np.array([[1.0] + [1.0 if o.recipe == r else 0.0 for r in others] for o in obs])
    model = sm.OLS(y, x).fit()
    ci = model.conf_int(alpha)
    return {r: (float(model.params[i + 1]), float(ci[i + 1][0]), float(ci[i + 1][1]))
            for i, r in enumerate(others)}


def detectable_difference(trays_per_recipe: int, tray_sd: float, *, alpha: float = ALPHA,
                          power: float = POWER) -> float | None:
    """The smallest difference between two recipes' tray means that a two-sided t test on
    ``trays_per_recipe`` trays each detects with ``power``."""
    from statsmodels.stats.power import TTestIndPower

    if trays_per_recipe < 2 or tray_sd <= 0:
        return None
    d = TTestIndPower().solve_power(effect_size=None, nobs1=trays_per_recipe, alpha=alpha,
                                    power=power, ratio=1.0, alternative="two-sided")
    return float(d) * tray_sd


def trays_needed(difference: float, tray_sd: float, *, alpha: float = ALPHA,
                 power: float = POWER, most: int = 500) -> int | None:
    """Trays per recipe needed to detect ``difference`` between two recipes with ``power``
    (None: not within ``most`` trays, or no spread to work with)."""
    from statsmodels.stats.power import TTestIndPower

    if difference <= 0 or tray_sd <= 0:
        return None
    analysis = TTestIndPower()
    effect = difference / tray_sd
    for n in range(2, most + 1):  # the smallest n that reaches the power (monotone in n)
        if analysis.power(effect_size=effect, nobs1=n, alpha=alpha, ratio=1.0,
                          alternative="two-sided") >= power:
            return n
    return None
