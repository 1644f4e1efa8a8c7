"""A realistic demo trial for `flask seed-demo`: 120 plants, 2 tents, 12 trays,
3 recipes, four weeks of measurements and feedings. Idempotent by experiment name."""

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
    recipe_boost = {recipes[0].id: 0.0, recipes[1].id: 0.6, recipes[2].id: 0.9}
    lot_of = {lot.recipe_id: lot for lot in lots}
    recipe_code = {r.id: r.code for r in recipes}
    fields = {s.id: template_fields(session, s.category) for s in species.values()}
    session.flush()
    for plant in plants:
        tray = tray_of[plant.id]
        leaves = rng.randint(4, 9)
        diameter = rng.uniform(25, 60)
        for week in range(WEEKS):
            growth = week * (0.8 + recipe_boost[tray.recipe_id]) + rng.uniform(-0.5, 0.5)
            values = {"leaf_count": max(leaves + round(growth), 0),
                      "trap_count": max(leaves - 2 + round(growth), 0),
                      "diameter_mm": round(diameter + growth * 4, 1),
                      "vigour": min(5, max(1, 3 + round(growth / 2))),
                      "colour": COLOURS[min(3, week // 2 + rng.randint(0, 1))],
                      "flowering": False}
            session.add(PlantMetric(
                plant_id=plant.id, week_number=week, recorded_by_id=admin.id,
                recorded_at=started + timedelta(weeks=week, hours=9), values=values))
            session.add(FeedingLog(
                plant_id=plant.id, recipe_id=tray.recipe_id, tray_id=tray.id,
                lot_id=lot_of[tray.recipe_id].id, amount_ml=50, status="fed",
                fed_at=started + timedelta(weeks=week, hours=2), user_id=admin.id))
            # The activity lines the services write with each feed and measurement (the
            # cockpit's "Recent activity" reads these).
            lot = lot_of[tray.recipe_id]
            session.add_all([Event(
                experiment_id=exp.id, plant_id=plant.id, tray_id=tray.id, kind="plant.fed",
                user_id=admin.id, at=started + timedelta(weeks=week, hours=2),
                summary=f"Fed {recipe_code[tray.recipe_id]} (lot {lot.code}), 50 ml"), Event(
                experiment_id=exp.id, plant_id=plant.id, kind="plant.measured",
                user_id=admin.id, at=started + timedelta(weeks=week, hours=9),
                summary=f"{'Baseline' if week == 0 else f'Week {week}'}: "
                        + describe_values(fields[plant.species_id], values),
                payload={"week_number": week, "values": values})])
    _demo_floor_work(session, exp, admin, trays, plants, started)
    session.add_all([
        Event(experiment_id=exp.id, kind="experiment.created", summary=f"Created {DEMO_NAME}",
              user_id=admin.id, at=started - timedelta(days=2)),
        Event(experiment_id=exp.id, kind="experiment.started", summary=f"Started {DEMO_NAME}",
              user_id=admin.id, at=started),
    ])
    session.flush()
    return admin, exp, True


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
