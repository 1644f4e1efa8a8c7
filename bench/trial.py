"""The benchmark trial both bench scripts start from: 10 tents × 10 trays, 4 recipes, half
Venus flytraps and half Cape sundews, not yet placed. ``plants`` (default 1,000) scales the
tray capacity (plants / 100), so 5,000 plants sit in the same 100 trays, 50 to a tray."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from growapp.models import Experiment, Plant, Species, User
from growapp.services import plants, recipes, tents, trays
from growapp.services.presets import ensure_presets
from growapp.services.users import create_user


def build_trial(s: Session, *, grades: tuple[str | None, str | None] = (None, None),
                plants_total: int = 1000) -> tuple[Experiment, User, list[Plant]]:
    """``grades``: the grade given to the flytraps and to the sundews."""
    ensure_presets(s)
    admin = create_user(s, email="bench@example.com", password="bench-password-1", role="admin")
    exp = Experiment(name=f"Bench {plants_total}", short_name="B1K")
    s.add(exp)
    s.flush()
    rs = [recipes.create_recipe(s, experiment_id=exp.id, actor=admin, name=f"Recipe {i}")
          for i in range(4)]
    n, capacity = 0, max(-(-plants_total // 100), 1)
    for t in range(10):
        tent = tents.create_tent(s, experiment_id=exp.id, actor=admin, name=f"Tent {t + 1}",
                                 layout=tents.uniform_layout(2, 5))
        for slot in tent.slots:
            trays.create_tray(s, experiment_id=exp.id, actor=admin, capacity=capacity,
                              slot_id=slot.id, recipe_id=rs[n % 4].id)
            n += 1
    made = []
    for name, grade in zip(("Venus flytrap", "Cape sundew"), grades, strict=True):
        species = s.scalar(select(Species).where(Species.common_name == name))
        left = plants_total // 2
        while left:  # add_plants takes at most MAX_BATCH at a time
            batch = min(left, plants.MAX_BATCH)
            made += plants.add_plants(s, experiment_id=exp.id, actor=admin,
                                      species_id=species.id, quantity=batch, grade=grade)
            left -= batch
    return exp, admin, made


def settle(engine) -> None:
    """What a server's database looks like after its maintenance, not in the minutes after
    a bulk load: PostgreSQL vacuumed and analysed as autovacuum leaves it (fresh statistics
    — without them a freshly loaded PostgreSQL plans the feeding queue's NOT EXISTS 25×
    slower — and the visibility map that lets a count read an index alone; else
    autovacuum scans the new tables while pages are timed) and checkpointed; SQLite's WAL
    checkpointed into the file."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
        else:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
