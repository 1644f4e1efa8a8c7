"""Reproduce growapp's report from this export: for every metric, week (and stratum) the
difference of each recipe to the control in change from baseline, estimated on tray means.

Each tray is one unit: its plants share a recipe, slot, light and watering. A plant's
change is its week-N value minus its week-0 value; a tray's response is the mean change of
its plants; one OLS fit per metric, week and stratum with the recipe as factor (control =
reference) gives t intervals on trays - recipes degrees of freedom; p-values are
Holm-adjusted across the recipes of one fit.

    python reproduce_report.py [--split category|grade] [--dir DIR] > contrasts.csv

Needs pandas and statsmodels. Reads metrics.csv and design.json from DIR (default: the
folder of this script). Prints one CSV row per metric, week, stratum and recipe.
"""

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.multitest import multipletests

OUT = ["metric", "week", "stratum", "recipe", "vs", "estimate", "ci_low", "ci_high",
       "p_value", "p_adjusted", "trays_vs", "trays", "plants_vs", "plants", "df", "problem"]


def recipe_order(codes):
    return sorted(set(codes), key=lambda c: (len(c), c))


def load(folder: Path, split):
    design = json.loads((folder / "design.json").read_text(encoding="utf-8"))
    numeric = [m["key"] for m in design["metrics"] if m["analysed"]]
    df = pd.read_csv(folder / "metrics.csv", dtype=str, keep_default_na=False)
    df = df[df["metric"].isin(numeric) & (df["recipe"] != "") & (df["tray"] != "")].copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df["week_number"] = df["week_number"].astype(int)
    df = df.dropna(subset=["value"])
    base = (df[df["week_number"] == 0][["plant_uuid", "metric", "value"]]
            .rename(columns={"value": "baseline"}))
    later = df[df["week_number"] > 0].merge(base, on=["plant_uuid", "metric"])
    later["change"] = later["value"] - later["baseline"]
    if split == "grade":
        later["stratum"] = later["grade"].replace("", "ungraded")
    elif split == "category":
        later["stratum"] = later["category"]
    else:
        later["stratum"] = ""
    return design, numeric, later


def fit(cell: pd.DataFrame, control: str, alpha: float):
    """One metric x week x stratum: rows of OUT (without metric, week, stratum)."""
    trays = (cell.groupby(["recipe", "tray"])["change"].agg(["mean", "size"]).reset_index())
    recipes = recipe_order(trays["recipe"])
    others = [r for r in recipes if r != control]
    if control not in recipes or not others:
        return []
    n_trays = trays.groupby("recipe").size()
    n_plants = trays.groupby("recipe")["size"].sum()
    trays["recipe"] = pd.Categorical(trays["recipe"], categories=[control] + others)
    model = smf.ols("mean ~ C(recipe)", data=trays).fit()
    df_resid = int(round(model.df_resid))
    spread = math.sqrt(model.scale) if df_resid >= 1 else 0.0
    problem = ""
    if df_resid < 1:
        problem = "too few trays"
    elif spread <= 1e-9 * (1 + float(np.abs(trays["mean"]).max())):
        problem, df_resid = "no spread between trays", 0
    names = [f"C(recipe)[T.{r}]" for r in others]
    ci = model.conf_int(alpha) if not problem else None
    p_raw = [float(model.pvalues[n]) for n in names] if not problem else []
    p_adj = list(multipletests(p_raw, method="holm")[1]) if p_raw else []
    rows = []
    for i, (recipe, name) in enumerate(zip(others, names, strict=True)):
        ok = not problem and not math.isnan(p_raw[i])
        rows.append([recipe, control, float(model.params[name]),
                     float(ci.loc[name, 0]) if ok else None,
                     float(ci.loc[name, 1]) if ok else None,
                     p_raw[i] if ok else None, float(p_adj[i]) if ok else None,
                     int(n_trays[control]), int(n_trays[recipe]),
                     int(n_plants[control]), int(n_plants[recipe]), df_resid, problem])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["category", "grade"])
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    design, numeric, data = load(args.dir, args.split)
    control, alpha = design["analysis"]["control"], design["analysis"]["alpha"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(OUT)
    for metric in numeric:
        for (stratum, week), cell in sorted(data[data["metric"] == metric]
                                            .groupby(["stratum", "week_number"])):
            for row in fit(cell, control, alpha):
                out.writerow([metric, week, stratum]
                             + ["" if v is None else repr(v) if isinstance(v, float) else v
                                for v in row])
    return 0


if __name__ == "__main__":
    sys.exit(main())
