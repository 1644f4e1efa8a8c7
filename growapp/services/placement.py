"""Placement: plants into trays (capacity, restrictions, locks) and auto-place.

Auto-place is deterministic. *fill* walks plants in code order into trays in tray order.
*randomized* stratifies plants by (species category, grade) — and, from scheme 2, by
species where a category holds several (S. purpurea and S. flava are both "pitcher") —
spreads each stratum evenly across recipes with a seeded shuffle, then into the emptiest
tray carrying that recipe. The scheme is kept in the record so an old seed reproduces.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..models import Plant, Recipe, Slot, Tent, Tray, TrayPlant, User, tent_allowed_species
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_not_running
from .plants import get_plant
from .tents import tent_restrictions
from .trays import get_tray

MODES = ("fill", "randomized")
SCHEMES = (1, 2)  # 1: (category, grade); 2: + species within mixed categories
SCHEME = 2  # the scheme new allocations use
REASONS = {
    "no_capacity": "no tray has a free place",
    "tent_restriction": "every tray with room is in a tent that does not allow the species",
    "no_recipe_trays": "no tray with a recipe has room (randomised placement needs recipes)",
}


def _tray_context(session: Session, tray: Tray) -> tuple[Tent | None, set[int] | None]:
    """The tray's tent and its allowed species ids (None = any)."""
    if tray.slot_id is None:
        return None, None
    tent = session.scalar(select(Tent).join(Slot, Slot.tent_id == Tent.id)
                          .where(Slot.id == tray.slot_id))
    allowed = set(session.scalars(select(tent_allowed_species.c.species_id).where(
        tent_allowed_species.c.tent_id == tent.id)))
    return tent, (allowed or None)


def place_plant(session: Session, *, tray_id: int, plant_uuid, actor: User) -> TrayPlant:
    """Put a plant in a tray. Raises NotFound, Conflict (full, restricted, running, placed,
    removed). The tray row is locked so two requests cannot both take its last place."""
    tray = get_tray(session, tray_id, lock=True)
    experiment = get_experiment(session, tray.experiment_id)
    plant = get_plant(session, plant_uuid)
    if plant.experiment_id != experiment.id:
        raise NotFound("That plant is not in this experiment.")
    require_not_running(experiment, "Placement")
    if plant.status != "active":
        raise Conflict(f"{plant.plant_code} was removed and cannot be placed.",
                       {"plant_status": plant.status})
    current = session.scalar(select(Tray.code).join(TrayPlant, TrayPlant.tray_id == Tray.id)
                             .where(TrayPlant.plant_id == plant.id))
    if current:
        raise Conflict(f"{plant.plant_code} is already in tray {current}.", {"tray": current})
    held = session.scalar(select(func.count(TrayPlant.id)).where(TrayPlant.tray_id == tray.id))
    if held >= tray.capacity:
        raise Conflict(f"Tray {tray.code} is full ({held}/{tray.capacity}).",
                       {"occupancy": held, "capacity": tray.capacity})
    tent, allowed = _tray_context(session, tray)
    if allowed is not None and plant.species_id not in allowed:
        raise Conflict(f"Tent {tent.code} does not allow {plant.species.common_name}.",
                       {"tent": tent.code, "species": plant.species.common_name})
    link = TrayPlant(tray_id=tray.id, plant_id=plant.id)
    session.add(link)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same plant placed concurrently elsewhere
        raise Conflict(f"{plant.plant_code} was just placed by someone else.") from exc
    record_event(session, kind="plant.placed", actor=actor, experiment_id=experiment.id,
                 plant_id=plant.id, tray_id=tray.id,
                 summary=f"Placed {plant.plant_code} in {tray.code} ({held + 1}/{tray.capacity})")
    return link


def uuid_for_code(session: Session, *, experiment_id: int, plant_code: str | None) -> str:
    """Resolve a typed plant code within one experiment. Raises Invalid."""
    code = (plant_code or "").strip()
    if not code:
        raise Invalid("Choose a plant to add.", {"plant_code": ["Type or pick a plant code."]})
    found = session.scalar(select(Plant.uuid).where(Plant.experiment_id == experiment_id,
                                                    func.lower(Plant.plant_code) == code.lower()))
    if found is None:
        raise Invalid(f"No plant {code} in this experiment.",
                      {"plant_code": [f"No plant {code} in this experiment."]})
    return str(found)


def unplace_plant(session: Session, *, tray_id: int, plant_uuid, actor: User) -> None:
    tray = get_tray(session, tray_id, lock=True)
    experiment = get_experiment(session, tray.experiment_id)
    plant = get_plant(session, plant_uuid)
    require_not_running(experiment, "Placement")
    link = session.scalar(select(TrayPlant).where(TrayPlant.tray_id == tray.id,
                                                  TrayPlant.plant_id == plant.id))
    if link is None:
        raise NotFound(f"{plant.plant_code} is not in tray {tray.code}.")
    session.delete(link)
    session.flush()
    record_event(session, kind="plant.unplaced", actor=actor, experiment_id=experiment.id,
                 plant_id=plant.id, tray_id=tray.id,
                 summary=f"Took {plant.plant_code} out of {tray.code}")


def placeable_plants(session: Session, experiment_id: int) -> list[Plant]:
    """Active plants not in a tray, in code order."""
    return list(session.scalars(
        select(Plant).where(Plant.experiment_id == experiment_id, Plant.status == "active",
                            ~exists().where(TrayPlant.plant_id == Plant.id))
        .options(selectinload(Plant.species)).order_by(Plant.plant_code)))


# Auto-place ------------------------------------------------------------------------------

@dataclass
class TraySpace:
    tray: Tray
    free: int
    capacity: int
    allowed: set[int] | None  # species ids; None = any
    recipe: Recipe | None
    order: int = 0  # position in tray order

    def takes(self, species_id: int) -> bool:
        return self.allowed is None or species_id in self.allowed


@dataclass
class AutoPlaceResult:
    mode: str
    seed: int | None
    placed: list[dict] = field(default_factory=list)
    unplaceable_plants: list[dict] = field(default_factory=list)
    strata: list[dict] = field(default_factory=list)
    applied: bool = False
    scheme: int | None = None  # randomised only: how plants were stratified (SCHEMES)

    @property
    def reason_counts(self) -> dict[str, int]:
        return dict(Counter(p["reason"] for p in self.unplaceable_plants))

    def as_dict(self) -> dict:
        return {"mode": self.mode, "seed": self.seed, "scheme": self.scheme,
                "applied": self.applied,
                "placed": self.placed, "placed_count": len(self.placed),
                "reason_counts": self.reason_counts,
                "unplaceable_plants": self.unplaceable_plants, "strata": self.strata}


def _spaces(session: Session, experiment_id: int) -> list[TraySpace]:
    counts = dict(session.execute(
        select(TrayPlant.tray_id, func.count(TrayPlant.id)).join(Tray, Tray.id == TrayPlant.tray_id)
        .where(Tray.experiment_id == experiment_id).group_by(TrayPlant.tray_id)).all())
    restrictions = tent_restrictions(session, experiment_id)
    rows = session.execute(
        select(Tray, Slot.tent_id, Recipe).outerjoin(Slot, Slot.id == Tray.slot_id)
        .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
        .where(Tray.experiment_id == experiment_id)).all()
    spaces = [TraySpace(tray=t, free=t.capacity - counts.get(t.id, 0), capacity=t.capacity,
                        allowed=restrictions.get(tent_id) if tent_id else None, recipe=r)
              for t, tent_id, r in rows]
    spaces.sort(key=lambda s: (len(s.tray.code), s.tray.code))
    for n, space in enumerate(spaces):
        space.order = n
    return spaces


def _why_not(spaces: list[TraySpace], plant: Plant, *, need_recipe: bool) -> str:
    pool = [s for s in spaces if s.free > 0 and (s.recipe is not None or not need_recipe)]
    if not pool:
        return "no_recipe_trays" if need_recipe and any(s.free > 0 for s in spaces) \
            else "no_capacity"
    return "tent_restriction"


def _plant_ref(plant: Plant, **extra) -> dict:
    return {"plant_uuid": str(plant.uuid), "plant_code": plant.plant_code, **extra}


def _fill(plants: list[Plant], spaces: list[TraySpace], result: AutoPlaceResult) -> None:
    for plant in plants:
        space = next((s for s in spaces if s.free > 0 and s.takes(plant.species_id)), None)
        if space is None:
            result.unplaceable_plants.append(_plant_ref(
                plant, reason=_why_not(spaces, plant, need_recipe=False)))
            continue
        space.free -= 1
        result.placed.append(_plant_ref(plant, tray_id=space.tray.id, tray_code=space.tray.code,
                                        recipe_code=space.recipe.code if space.recipe else None))


def _species_name(plant: Plant) -> str:
    return plant.species.scientific_name or plant.species.common_name


def _stratum_key(plant: Plant, scheme: int, mixed: set[str]) -> tuple:
    """Scheme 1: (category, grade). Scheme 2 adds the species where a category holds
    several; "" elsewhere, so a trial without mixed categories allocates as under scheme 1."""
    grade = plant.grade or "ungraded"
    if scheme == 1:
        return (plant.species.category, grade)
    species = _species_name(plant) if plant.species.category in mixed else ""
    return (plant.species.category, species, grade)


def _randomized(plants: list[Plant], spaces: list[TraySpace], seed: int,
                result: AutoPlaceResult, scheme: int = SCHEME) -> None:
    rng = random.Random(seed)
    recipes = sorted({s.recipe.id: s.recipe for s in spaces if s.recipe}.values(),
                     key=lambda r: (len(r.code), r.code))
    by_category: dict[str, set[str]] = defaultdict(set)
    for plant in plants:
        by_category[plant.species.category].add(_species_name(plant))
    mixed = {c for c, names in by_category.items() if len(names) > 1}
    strata: dict[tuple, list[Plant]] = defaultdict(list)
    for plant in plants:  # plants arrive in code order, so strata are deterministic
        strata[_stratum_key(plant, scheme, mixed)].append(plant)
    overall: Counter = Counter()
    for key in sorted(strata):
        members = list(strata[key])
        rng.shuffle(members)
        order = list(recipes)
        rng.shuffle(order)  # who gets the extra plant when a stratum does not divide evenly
        in_stratum: Counter = Counter()
        for plant in members:
            # Fewest in this stratum first, then fewest overall, then the shuffled order.
            ranked = sorted(order, key=lambda r: (in_stratum[r.id], overall[r.id],
                                                  order.index(r)))
            chosen = None
            for recipe in ranked:
                fits = [s for s in spaces if s.recipe is not None and s.recipe.id == recipe.id
                        and s.free > 0 and s.takes(plant.species_id)]
                if fits:
                    # the emptiest tray of that recipe, then tray order
                    chosen = max(fits, key=lambda s: (s.free / s.capacity, -s.order))
                    break
            if chosen is None:
                result.unplaceable_plants.append(_plant_ref(
                    plant, reason=_why_not(spaces, plant, need_recipe=True)))
                continue
            chosen.free -= 1
            in_stratum[chosen.recipe.id] += 1
            overall[chosen.recipe.id] += 1
            result.placed.append(_plant_ref(plant, tray_id=chosen.tray.id,
                                            tray_code=chosen.tray.code,
                                            recipe_code=chosen.recipe.code))
        stratum = {"category": key[0], "grade": key[-1], "plants": len(members),
                   "allocation": {r.code: in_stratum[r.id] for r in recipes}}
        if scheme >= 2:
            stratum["species"] = key[1] or None
        result.strata.append(stratum)


def auto_place(session: Session, *, experiment_id: int, actor: User, mode: str,
               seed: int | None = None, apply: bool = True,
               allow_partial: bool = False, scheme: int | None = None) -> AutoPlaceResult:
    """Plan (and with ``apply``, write) an allocation of every unplaced active plant.

    A plan that cannot place everyone is only applied with ``allow_partial`` (the user
    confirmed the preview); otherwise Conflict carries the reasons. ``scheme`` picks the
    stratification (SCHEMES; default the current one): an old record's seed and scheme
    reproduce its allocation.
    """
    if mode not in MODES:
        raise Invalid(errors={"mode": ["Use fill or randomized."]})
    scheme = SCHEME if scheme is None else scheme
    if isinstance(scheme, bool) or scheme not in SCHEMES:
        raise Invalid(errors={"scheme": [f"Use scheme {' or '.join(map(str, SCHEMES))}."]})
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed < 2**31):
        raise Invalid(errors={"seed": ["The seed is a whole number from 0 to 2147483647."]})
    experiment = get_experiment(session, experiment_id, lock=apply)
    require_not_running(experiment, "Placement")
    if mode == "randomized" and seed is None:
        seed = experiment.randomization_seed if experiment.randomization_seed is not None \
            else secrets.randbelow(2**31)
    plants = placeable_plants(session, experiment.id)
    spaces = _spaces(session, experiment.id)
    result = AutoPlaceResult(mode=mode, seed=seed if mode == "randomized" else None,
                             scheme=scheme if mode == "randomized" else None)
    if mode == "fill":
        _fill(plants, spaces, result)
    else:
        _randomized(plants, spaces, seed, result, scheme)
    if not apply:
        return result
    if result.unplaceable_plants and not allow_partial:
        counts = result.reason_counts
        words = "; ".join(f"{n} because {REASONS[r]}" for r, n in counts.items())
        raise Conflict(f"{len(result.unplaceable_plants)} plant(s) cannot be placed ({words}). "
                       "Confirm to place the other plants.", result.as_dict())
    plant_ids = {str(p.uuid): p.id for p in plants}
    for item in result.placed:
        session.add(TrayPlant(tray_id=item["tray_id"], plant_id=plant_ids[item["plant_uuid"]]))
    if mode == "randomized":
        experiment.randomization_seed = seed
    session.flush()
    result.applied = True
    record_event(session, kind="placement.auto", actor=actor, experiment_id=experiment.id,
                 summary=f"Auto-placed {len(result.placed)} plants ({mode}"
                         + (f", seed {seed}" if seed is not None else "") + ")"
                         + (f"; {len(result.unplaceable_plants)} left unplaced"
                            if result.unplaceable_plants else ""),
                 payload={"mode": mode, "seed": seed, "scheme": result.scheme,
                          "strata": result.strata,
                          "allocation": [{k: p[k] for k in ("plant_code", "tray_code",
                                                            "recipe_code")}
                                         for p in result.placed],
                          "reason_counts": result.reason_counts})
    return result


