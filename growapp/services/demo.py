"""A realistic demo trial for `flask seed-demo`: 120 plants (one removed, one replaced), 2 tents,
12 trays, 3 recipes, four weeks of measurements and feedings. Idempotent by experiment name."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Event,
    Experiment,
    FeedingLog,
    Lot,
    Plant,
    PlantMetric,
    Recipe,
    Slot,
    Species,
    Tent,
    Tray,
    TrayPlant,
    User,
    utcnow,
)
from .labels.sheet_templates import ensure_label_templates
from .metrics import describe_values, template_fields
from .presets import COLOURS, ensure_presets
from .users import create_user, get_user_by_email

DEMO_NAME = "Demo: feeding trial 2026"
DEMO_USERS = [("admin@example.com", "admin", "Demo Admin"),
              ("operator@example.com", "operator", "Demo Operator"),
              ("viewer@example.com", "viewer", "Demo Viewer")]
DEMO_PASSWORD = "growapp-demo-2026"  # noqa: S105 - documented demo login, refused in production
WEEKS = 4


def _ensure_users(session: Session) -> User:
    admin = None
    for email, role, name in DEMO_USERS:
        user = get_user_by_email(session, email) or create_user(
            session, email=email, password=DEMO_PASSWORD, role=role, display_name=name)
        if role == "admin":
            admin = user
    return admin


def seed_demo(session: Session) -> tuple[User, Experiment, bool]:
    """Returns (demo admin, experiment, created?)."""
    ensure_presets(session)
    ensure_label_templates(session)
    admin = _ensure_users(session)
    existing = session.scalar(select(Experiment).where(Experiment.name == DEMO_NAME))
    if existing:
        return admin, existing, False
    rng = random.Random(2026)
    now = utcnow()
    started = now - timedelta(weeks=WEEKS)
    exp = Experiment(name=DEMO_NAME, short_name="FEED-26", status="running",
                     started_at=started, randomization_seed=2026, created_by_id=admin.id,
                     description="Does a quarter- or half-strength foliar feed beat plain "
                                 "water for Venus flytraps and Cape sundews?")
    session.add(exp)
    session.flush()

    recipes = [
        Recipe(experiment_id=exp.id, code="R0", name="Control: rainwater", product="Rainwater",
               volume_ml=50, colour="grey"),
        Recipe(experiment_id=exp.id, code="R1", name="Quarter-strength MaxSea",
               product="MaxSea 16-16-16", concentration=0.25, unit="g/L", volume_ml=50,
               colour="blue"),
        Recipe(experiment_id=exp.id, code="R2", name="Half-strength MaxSea",
               product="MaxSea 16-16-16", concentration=0.5, unit="g/L", volume_ml=50,
               colour="orange"),
    ]
    session.add_all(recipes)
    slots = []
    for t in (1, 2):
        tent = Tent(experiment_id=exp.id, code=f"TN{t}", name=f"Tent {t}",
                    layout={"schema_version": 1,
                            "shelves": [{"index": s, "tray_count": 2} for s in (1, 2, 3)]})
        session.add(tent)
        session.flush()
        for shelf in (1, 2, 3):
            for pos in (1, 2):
                slot = Slot(tent_id=tent.id, shelf_index=shelf, position=pos,
                            code=f"TN{t}-S{shelf}-P{pos}")
                session.add(slot)
                slots.append(slot)
    session.flush()
    trays = []
    for i, slot in enumerate(slots, start=1):
        tray = Tray(experiment_id=exp.id, code=f"TR{i}", capacity=10, slot_id=slot.id,
                    recipe_id=recipes[(i - 1) % 3].id)
        session.add(tray)
        trays.append(tray)
    session.flush()
    lots = [Lot(experiment_id=exp.id, recipe_id=r.id, code=f"L-{n + 1:02d}",
                prepared_at=started, volume_ml=2000, ec=0.05 + 0.3 * n, ph=6.2,
                temperature_c=20, prepared_by_id=admin.id) for n, r in enumerate(recipes)]
    session.add_all(lots)

    species = {s.category: s for s in session.scalars(
        select(Species).where(Species.common_name.in_(["Venus flytrap", "Cape sundew"])))}
    plants = []
    for category, prefix, cultivar in (("flytrap", "VFT", "B52"), ("sundew", "DRO", "")):
        for n in range(1, 61):
            plants.append(Plant(experiment_id=exp.id, plant_code=f"{prefix}-{n:03d}",
                                species_id=species[category].id, cultivar=cultivar,
                                grade=rng.choice("AABBC"), planted_on=started.date()))
    session.add_all(plants)
    session.flush()
    # Balanced allocation: alternate species across trays so each recipe gets both.
    order = sorted(plants, key=lambda p: (p.grade, p.plant_code))
    for i, plant in enumerate(order):
        session.add(TrayPlant(tray_id=trays[i % len(trays)].id, plant_id=plant.id))
    tray_of = {order[i].id: trays[i % len(trays)] for i in range(len(order))}
    lot_of = {lot.recipe_id: lot for lot in lots}
    session.flush()
    _demo_measurements(session, rng, exp, admin, plants, tray_of, lot_of, started)
    _demo_floor_work(session, exp, admin, trays, plants, started)
    session.add_all([
        Event(experiment_id=exp.id, kind="experiment.created", summary=f"Created {DEMO_NAME}",
              user_id=admin.id, at=started - timedelta(days=2)),
        Event(experiment_id=exp.id, kind="experiment.started", summary=f"Started {DEMO_NAME}",
              user_id=admin.id, at=started),
    ])
    session.flush()
    return admin, exp, True


# How each recipe moves each metric per week (R0, R1, R2): leaves respond to feeding,
# traps less so and the half-strength feed costs traps; diameter follows leaves.
LEAF_RATE = (0.8, 1.4, 1.7)
TRAP_RATE = (0.5, 0.8, 0.3)
DIAMETER_RATE = (2.0, 3.5, 4.5)
TRAY_SD = 0.35  # tray-to-tray spread of the weekly leaf gain (light, watering)
REMOVED = ("VFT-017", 2, "crown rot")  # removed in week 2, not replaced
REPLACED = ("DRO-020", 1, "knocked off the shelf")  # replaced in week 1 by a new plant


def _demo_measurements(session: Session, rng: random.Random, exp: Experiment, admin: User,
                       plants: list[Plant], tray_of: dict, lot_of: dict, started) -> None:
    """Weeks 0–3 of measurements and feedings, each logged on the plant; metrics that move
    differently by recipe, tray effects, a few missing values, a removed and a replaced
    plant."""
    recipe_index = {rid: i for i, rid in enumerate(sorted({t.recipe_id
                                                          for t in tray_of.values()}))}
    tray_effect = {t.id: rng.gauss(0, TRAY_SD) for t in tray_of.values()}
    by_code = {p.plant_code: p for p in plants}
    skipped = {(plants[i].id, WEEKS - 1) for i in rng.sample(range(len(plants)), 2)}
    removed_at = {by_code[REMOVED[0]].id: started + timedelta(weeks=REMOVED[1], days=2),
                  by_code[REPLACED[0]].id: started + timedelta(weeks=REPLACED[1], days=3)}
    replacement = _replace(session, exp, admin, by_code, tray_of, removed_at)
    fields: dict[int, list] = {}  # species id -> its metric template's fields
    for plant in [*plants, replacement]:
        tray = tray_of[plant.id]
        r, effect = recipe_index[tray.recipe_id], tray_effect[tray.id]
        leaves, diameter = rng.randint(4, 9), rng.uniform(25, 60)
        traps = max(leaves - rng.randint(1, 3), 1)
        rates = (LEAF_RATE[r] + effect + rng.gauss(0, 0.25),
                 TRAP_RATE[r] + 0.6 * effect + rng.gauss(0, 0.25),
                 DIAMETER_RATE[r] + 2.5 * effect + rng.gauss(0, 0.8))
        new = plant is replacement  # its baseline is taken the day it comes in
        for week in [0, *range(REPLACED[1] + 1, WEEKS)] if new else range(WEEKS):
            at = started + timedelta(weeks=week, hours=9)
            if new and week == 0:
                at = removed_at[by_code[REPLACED[0]].id] + timedelta(hours=2)
            if plant.id in removed_at and at > removed_at[plant.id] \
                    or (plant.id, week) in skipped:
                continue
            grown = week - REPLACED[1] if new and week else week
            values = {"leaf_count": max(leaves + round(grown * rates[0] + rng.gauss(0, 0.4)), 0),
                      "trap_count": max(traps + round(grown * rates[1] + rng.gauss(0, 0.4)), 0),
                      "diameter_mm": round(diameter + grown * rates[2] + rng.gauss(0, 1), 1),
                      "vigour": min(5, max(1, 3 + round(grown * (rates[0] - 1.1) / 2))),
                      "colour": COLOURS[min(3, week // 2 + rng.randint(0, 1))],
                      "flowering": False}
            if grown and rng.random() < 0.04:
                del values[rng.choice(["trap_count", "diameter_mm"])]  # not measured
            session.add(PlantMetric(plant_id=plant.id, week_number=week, values=values,
                                    recorded_by_id=admin.id, recorded_at=at))
            label = "Baseline" if week == 0 else f"Week {week}"
            if plant.species_id not in fields:
                fields[plant.species_id] = template_fields(session, plant.species.category)
            bits = describe_values(fields[plant.species_id], values)
            fed_at = at - timedelta(hours=7) if week else at + timedelta(hours=1)
            lot = lot_of[tray.recipe_id]
            session.add(FeedingLog(plant_id=plant.id, recipe_id=tray.recipe_id,
                                   tray_id=tray.id, lot_id=lot.id, amount_ml=50, status="fed",
                                   fed_at=fed_at, user_id=admin.id))
            session.add_all([
                Event(experiment_id=exp.id, plant_id=plant.id, kind="plant.measured",
                      summary=f"{label}: {bits}", user_id=admin.id, at=at,
                      payload={"week_number": week, "values": values}),
                Event(experiment_id=exp.id, plant_id=plant.id, tray_id=tray.id,
                      kind="plant.fed", summary=f"Fed R{r} (lot {lot.code}), 50 ml",
                      user_id=admin.id, at=fed_at)])


def _replace(session: Session, exp: Experiment, admin: User, by_code: dict, tray_of: dict,
             removed_at: dict) -> Plant:
    """Remove one plant and replace another (the replacement takes its tray place)."""
    gone, old = by_code[REMOVED[0]], by_code[REPLACED[0]]
    new = Plant(experiment_id=exp.id, plant_code="DRO-061", species_id=old.species_id,
                cultivar=old.cultivar, grade=old.grade, planted_on=removed_at[old.id].date())
    session.add(new)
    session.flush()
    for plant, reason in ((gone, REMOVED[2]), (old, REPLACED[2])):
        plant.status, plant.removed_at, plant.removed_reason = \
            "removed", removed_at[plant.id], reason
    old.replaced_by_id = new.id
    for link in session.scalars(select(TrayPlant).where(
            TrayPlant.plant_id.in_([gone.id, old.id]))):
        if link.plant_id == old.id:
            link.plant_id = new.id
        else:
            session.delete(link)
    tray_of[new.id] = tray_of[old.id]
    session.add_all([
        Event(experiment_id=exp.id, plant_id=gone.id, kind="plant.removed",
              summary=f"Removed {gone.plant_code}: {REMOVED[2]}", user_id=admin.id,
              at=removed_at[gone.id]),
        Event(experiment_id=exp.id, plant_id=old.id, tray_id=tray_of[old.id].id,
              kind="plant.replaced", summary=f"Replaced {old.plant_code} by DRO-061: "
              f"{REPLACED[2]}", user_id=admin.id, at=removed_at[old.id]),
        Event(experiment_id=exp.id, plant_id=new.id, tray_id=tray_of[old.id].id,
              kind="plant.created", summary=f"DRO-061 replaces {old.plant_code} in the same "
              "tray", user_id=admin.id, at=removed_at[old.id])])
    session.flush()
    return new


def _demo_floor_work(session: Session, exp: Experiment, admin: User, trays: list[Tray],
                     plants: list[Plant], started) -> None:
    """Schedules, a tray rotation, a pest report and a note, so every page has content."""
    from .observations import add_note, report_adverse
    from .rotation import rotate_tray
    from .schedules.manage import create_schedule

    tent_ids = sorted({s.tent_id for s in session.scalars(
        select(Slot).where(Slot.id.in_([t.slot_id for t in trays])))})
    create_schedule(session, experiment_id=exp.id, actor=admin, action_type="feed",
                    title="Feed all trays", timeframe="morning",
                    rule={"kind": "weekly", "weekdays": [started.weekday()]},
                    start_date=started.date(), scope={"type": "tent", "ids": tent_ids})
    create_schedule(session, experiment_id=exp.id, actor=admin, action_type="rotate",
                    title="Rotate trays front to back", timeframe="afternoon",
                    rule={"kind": "interval", "every_days": 7}, start_date=started.date(),
                    scope={"type": "tray", "ids": [t.id for t in trays]})
    create_schedule(session, experiment_id=exp.id, actor=admin, action_type="observe",
                    title="Weekly measurements", timeframe="morning",
                    rule={"kind": "weekly", "weekdays": [started.weekday()]},
                    start_date=started.date(), scope={"type": "tent", "ids": tent_ids})
    for log in rotate_tray(session, tray_id=trays[0].id, to_slot_id=trays[-1].slot_id,
                           swap=True, actor=admin, note="swap ends for even light"):
        log.moved_at = started + timedelta(days=14)
    report_adverse(session, plant_uuid=plants[5].uuid, kind="pest", severity=2, actor=admin,
                   notes="aphids on two traps")
    add_note(session, plant_uuid=plants[0].uuid, text="Strong colour on the new traps.",
             actor=admin)
