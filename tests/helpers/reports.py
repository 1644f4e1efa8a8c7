"""A small running trial with baseline and week-1 leaves, for report tests."""

from __future__ import annotations

from datetime import timedelta

from growapp.models import PlantMetric, utcnow
from tests.helpers import factories as f


def report_trial(session):
    """R0: plants a, b; R1: plants c, d. Leaves at week 0 and week 1:
    a 4→6 (+2), b 5→6 (+1), c 4→8 (+4), d 6→12 (+6)."""
    exp = f.make_experiment(session, status="running")
    exp.started_at = utcnow() - timedelta(days=15)
    tent = f.make_tent(session, exp, positions=2)
    r0, r1 = f.make_recipe(session, exp, "R0"), f.make_recipe(session, exp, "R1")
    t0 = f.make_tray(session, exp, "TR1", capacity=4, slot=tent.slots[0], recipe=r0)
    t1 = f.make_tray(session, exp, "TR2", capacity=4, slot=tent.slots[1], recipe=r1)
    data = {"a": (t0, "A", 4, 6), "b": (t0, "B", 5, 6), "c": (t1, "A", 4, 8),
            "d": (t1, "B", 6, 12)}
    plants = {}
    for name, (tray, grade, w0, w1) in data.items():
        p = f.make_plant(session, exp, code=f"VFT-{name}", grade=grade, tray=tray)
        session.add(PlantMetric(plant_id=p.id, week_number=0,
                                values={"leaf_count": w0, "vigour": 3}))
        session.add(PlantMetric(plant_id=p.id, week_number=1,
                                values={"leaf_count": w1, "vigour": 3}))
        plants[name] = p
    session.flush()
    return exp, plants, (t0, t1), (r0, r1)


# Leaves at weeks 0, 1, 2 of two trays per recipe, three plants a tray; week 2 is under way
# (the trial started 15 days ago and TR4's plants are not measured yet).
TRAY_TRIAL = {  # tray: (recipe, [(week 0, week 1, week 2 or None)] per plant)
    "TR1": ("R0", [(4, 5, 6), (5, 6, 7), (6, 6, 8)]),
    "TR2": ("R0", [(4, 6, 7), (5, 7, 8), (5, 5, 6)]),
    "TR3": ("R1", [(4, 8, 10), (5, 8, 11), (4, 7, 9)]),
    "TR4": ("R1", [(5, 7, None), (6, 10, None), (4, 7, None)]),
}


def tray_trial(session):
    """Two trays per recipe (see TRAY_TRIAL). Returns (experiment, {tray code: [changes at
    week 1]})."""
    exp = f.make_experiment(session, status="running")
    exp.started_at = utcnow() - timedelta(days=15)
    tent = f.make_tent(session, exp, positions=4)
    recipes = {code: f.make_recipe(session, exp, code) for code in ("R0", "R1")}
    week1: dict[str, list[float]] = {}
    for i, (code, (recipe, plants)) in enumerate(TRAY_TRIAL.items()):
        tray = f.make_tray(session, exp, code, capacity=3, slot=tent.slots[i],
                           recipe=recipes[recipe])
        for j, weeks in enumerate(plants):
            p = f.make_plant(session, exp, code=f"VFT-{code}-{j}", grade="A", tray=tray)
            for week, value in enumerate(weeks):
                if value is not None:
                    session.add(PlantMetric(plant_id=p.id, week_number=week,
                                            values={"leaf_count": value}))
            week1.setdefault(code, []).append(weeks[1] - weeks[0])
    session.flush()
    return exp, week1


def three_recipe_trial(session, seed: int = 11):
    """Three recipes × three trays × three plants, weeks 0–2 of leaves (int) and diameter
    (float with many digits), grades A and B, tray effects, one missing value and one
    plant without a tray; seeded. Returns the experiment."""
    import random

    rng = random.Random(seed)
    exp = f.make_experiment(session, status="running")
    exp.started_at = utcnow() - timedelta(days=22)
    tent = f.make_tent(session, exp, shelves=3, positions=3)
    n = 0
    for r, code in enumerate(("R0", "R1", "R2")):
        recipe = f.make_recipe(session, exp, code)
        for t in range(3):
            tray = f.make_tray(session, exp, f"TR{r * 3 + t + 1}", capacity=3,
                               slot=tent.slots[r * 3 + t], recipe=recipe)
            tray_effect = rng.gauss(0, 1.5)
            for j in range(3):
                n += 1
                p = f.make_plant(session, exp, code=f"VFT-{n:03d}", grade="AB"[j % 2],
                                 tray=tray)
                leaves, diameter = rng.randint(4, 9), rng.uniform(20, 60)
                for week in range(3):
                    grow = week * (1 + r * 0.7 + tray_effect / 3) + rng.gauss(0, 0.6)
                    values = {"leaf_count": max(leaves + round(grow), 0),
                              "diameter_mm": diameter + grow * 3.1234567, "vigour": 3}
                    if n == 5 and week == 2:
                        del values["diameter_mm"]
                    session.add(PlantMetric(plant_id=p.id, week_number=week, values=values))
    loose = f.make_plant(session, exp, code="VFT-999", grade="A")
    session.add(PlantMetric(plant_id=loose.id, week_number=0, values={"leaf_count": 3}))
    session.flush()
    return exp
