"""Tray-level inference checked against independent computations (SciPy's t test and
F test, NumPy least squares), and against the naive plant-level analysis it replaces."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import stats

from growapp.services.analysis import (
    Obs,
    detectable_difference,
    fit_contrasts,
    plant_level_contrasts,
    trays_needed,
)


def clustered(effects: dict[str, float], trays: int = 4, plants: int = 8, tray_sd: float = 1.0,
              plant_sd: float = 0.5, seed: int = 7) -> list[Obs]:
    """Plants share their tray's deviation: the clustering a tent produces."""
    rng = random.Random(seed)
    out = []
    for recipe, effect in effects.items():
        for t in range(trays):
            tray_effect = rng.gauss(0, tray_sd)
            out += [Obs(recipe, f"{recipe}-{t}", effect + tray_effect + rng.gauss(0, plant_sd))
                    for _ in range(plants)]
    return out


def tray_means(obs: list[Obs], recipe: str) -> list[float]:
    trays: dict = {}
    for o in obs:
        if o.recipe == recipe:
            trays.setdefault(o.tray, []).append(o.value)
    return [sum(v) / len(v) for v in trays.values()]


def test_two_recipes_match_a_pooled_t_test_on_tray_means():
    obs = clustered({"R0": 0.0, "R1": 2.0})
    fit = fit_contrasts(obs)
    (c,) = fit.contrasts
    r0, r1 = tray_means(obs, "R0"), tray_means(obs, "R1")
    test = stats.ttest_ind(r1, r0, equal_var=True)
    df = len(r0) + len(r1) - 2
    diff = np.mean(r1) - np.mean(r0)
    se = diff / test.statistic
    half = stats.t.ppf(0.975, df) * se
    assert c.estimate == pytest.approx(diff, abs=1e-9)
    assert (c.ci_low, c.ci_high) == (pytest.approx(diff - half, abs=1e-9),
                                     pytest.approx(diff + half, abs=1e-9))
    assert c.p_value == pytest.approx(test.pvalue, rel=1e-9)
    assert c.p_adjusted == pytest.approx(test.pvalue, rel=1e-9)  # one contrast: Holm = raw
    assert fit.df == df == 6
    assert c.n_units == {"R0": 4, "R1": 4} and c.n_plants == {"R0": 32, "R1": 32}
    assert (c.vs, c.method) == ("R0", "ols-tray-means")


def test_three_recipes_pool_the_tray_spread_and_holm_adjust():
    obs = clustered({"R0": 0.0, "R1": 1.5, "R2": 0.4}, trays=3, plants=5, seed=11)
    fit = fit_contrasts(obs)
    groups = {r: tray_means(obs, r) for r in ("R0", "R1", "R2")}
    # Independent: pooled within-recipe variance of tray means on T − R degrees of freedom.
    df = sum(len(v) for v in groups.values()) - 3
    s2 = sum(((np.array(v) - np.mean(v)) ** 2).sum() for v in groups.values()) / df
    raw = {}
    for c in fit.contrasts:
        diff = np.mean(groups[c.recipe]) - np.mean(groups["R0"])
        se = np.sqrt(s2 * (1 / len(groups[c.recipe]) + 1 / len(groups["R0"])))
        raw[c.recipe] = 2 * stats.t.sf(abs(diff / se), df)
        assert c.estimate == pytest.approx(diff, abs=1e-9)
        assert c.ci_high - c.ci_low == pytest.approx(2 * stats.t.ppf(0.975, df) * se, rel=1e-9)
        assert c.p_value == pytest.approx(raw[c.recipe], rel=1e-9)
    # Holm by hand: sort, multiply by (m - rank), keep monotone, cap at 1.
    order = sorted(raw, key=raw.get)
    holm, running = {}, 0.0
    for rank, recipe in enumerate(order):
        running = max(running, min(1.0, raw[recipe] * (len(order) - rank)))
        holm[recipe] = running
    for c in fit.contrasts:
        assert c.p_adjusted == pytest.approx(holm[c.recipe], rel=1e-9)
    assert fit.tray_sd == pytest.approx(np.sqrt(s2), rel=1e-9)


def test_clustered_trays_give_a_wider_interval_than_treating_plants_as_independent():
    obs = clustered({"R0": 0.0, "R1": 1.0}, trays=4, plants=10, tray_sd=1.0, plant_sd=0.3)
    (c,) = fit_contrasts(obs).contrasts
    naive = plant_level_contrasts(obs)["R1"]
    assert c.estimate == pytest.approx(naive[0])  # balanced: the same point estimate
    assert (c.ci_high - c.ci_low) > 2 * (naive[2] - naive[1])


def test_icc_matches_the_one_way_anova_on_one_recipe():
    obs = clustered({"R0": 0.0, "R1": 0.0}, trays=5, plants=6, tray_sd=1.0, plant_sd=1.0)
    fit = fit_contrasts(obs)
    # Independent check on a balanced design: the nested ANOVA pools the two recipes'
    # one-way ANOVAs; ICC(1) = (MSB − MSW) / (MSB + (k − 1) MSW).
    ss_b = ss_w = 0.0
    for recipe in ("R0", "R1"):
        trays = [[o.value for o in obs if o.tray == f"{recipe}-{t}"] for t in range(5)]
        grand = np.mean(sum(trays, []))
        ss_b += sum(6 * (np.mean(v) - grand) ** 2 for v in trays)
        ss_w += sum(((np.array(v) - np.mean(v)) ** 2).sum() for v in trays)
        f_one = stats.f_oneway(*trays)  # SciPy agrees with the pieces on each recipe
        msb_r = sum(6 * (np.mean(v) - grand) ** 2 for v in trays) / 4
        msw_r = sum(((np.array(v) - np.mean(v)) ** 2).sum() for v in trays) / 25
        assert f_one.statistic == pytest.approx(msb_r / msw_r, rel=1e-9)
    msb, msw = ss_b / 8, ss_w / 50
    assert fit.icc == pytest.approx(max(msb - msw, 0) / 6 / (max(msb - msw, 0) / 6 + msw),
                                    rel=1e-9)
    strong = fit_contrasts(clustered({"R0": 0, "R1": 0}, tray_sd=3.0, plant_sd=0.1)).icc
    none = fit_contrasts(clustered({"R0": 0, "R1": 0}, tray_sd=0.0, plant_sd=1.0)).icc
    assert strong > 0.9 and none < 0.2


def test_the_design_says_when_it_cannot_tell():
    one_tray_each = [Obs("R0", 1, 1.0), Obs("R0", 1, 2.0), Obs("R1", 2, 3.0), Obs("R1", 2, 4.0)]
    fit = fit_contrasts(one_tray_each)
    assert not fit.can_tell and "Too few trays" in fit.problem
    (c,) = fit.contrasts
    assert c.estimate == pytest.approx(2.0) and c.ci_low is None and c.p_value is None
    assert "No R0" in fit_contrasts([Obs("R1", 1, 1.0), Obs("R1", 2, 2.0)]).problem
    assert "Only the control" in fit_contrasts([Obs("R0", 1, 1.0), Obs("R0", 2, 2.0)]).problem
    alike = [Obs(r, f"{r}{t}", 3.0 + (r == "R1")) for r in ("R0", "R1") for t in range(3)]
    fit = fit_contrasts(alike)
    assert "exactly alike" in fit.problem and fit.contrasts[0].ci_low is None
    assert fit.tray_sd is None and fit.contrasts[0].estimate == pytest.approx(1.0)


def test_power_calculations():
    # Two-sided, α = 0.05, 80 % power, 4 units per arm: d ≈ 2.38 (standard tables).
    assert detectable_difference(4, 1.0) == pytest.approx(2.3808, abs=1e-3)
    for n, sd in ((8, 0.5), (3, 2.0)):  # independent: the noncentral t distribution
        d = detectable_difference(n, sd) / sd
        df, crit = 2 * n - 2, stats.t.ppf(0.975, 2 * n - 2)
        nc = d * np.sqrt(n / 2)
        power = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
        assert power == pytest.approx(0.8, abs=1e-6)
    assert trays_needed(1.0, 1.0) == 17
    assert trays_needed(detectable_difference(6, 2.0) + 1e-6, 2.0) == 6
    assert trays_needed(100, 1.0) == 2 and trays_needed(0.001, 1.0) is None
    assert detectable_difference(1, 1.0) is None and trays_needed(1.0, 0.0) is None
