"""Recipes (R0 control, R1, R2…) and lots mixed from them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import FeedingLog, Lot, Recipe, Tray, User
from .codes import clean_code, next_codes
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_not_running

RECIPE_CODE_MAX = 16
COLOURS = ("grey", "blue", "orange", "green", "purple", "red", "teal", "yellow")
NUMERIC = {"concentration": (0, 1_000_000), "volume_ml": (0, 100_000)}
TEXT = {"name": 120, "product": 120, "unit": 24, "notes": 5000}


def parse_numbers(values: dict, ranges: dict[str, tuple[float, float]],
                  errors: dict[str, list[str]]) -> dict:
    """Numbers (or None for blanks) for the keys present, range-checked; problems go into
    ``errors``."""
    clean = {}
    for key, (lo, hi) in ranges.items():
        if key not in values:
            continue
        value = values[key]
        if value in (None, ""):
            clean[key] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[key] = ["Enter a number."]
            continue
        if not lo <= number <= hi:
            errors[key] = [f"Enter a number from {lo} to {hi:,}."]
        clean[key] = number
    return clean


def _clean(fields: dict, *, creating: bool) -> dict:
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for key, limit in TEXT.items():
        if key in fields and fields[key] is not None:
            value = str(fields[key]).strip()
            if len(value) > limit:
                errors[key] = [f"Use at most {limit} characters."]
            clean[key] = value
    if creating and not clean.get("name"):
        errors["name"] = ["Give the recipe a name, e.g. “Quarter-strength MaxSea”."]
    if "name" in fields and fields["name"] is not None and not clean.get("name"):
        errors["name"] = ["Give the recipe a name."]
    clean.update(parse_numbers(fields, NUMERIC, errors))
    if fields.get("colour"):
        if fields["colour"] not in COLOURS:
            errors["colour"] = [f"Choose one of {', '.join(COLOURS)}."]
        clean["colour"] = fields["colour"]
    if errors:
        raise Invalid(errors=errors)
    return clean


def list_recipes(session: Session, experiment_id: int) -> list[Recipe]:
    return list(session.scalars(select(Recipe).where(Recipe.experiment_id == experiment_id)
                                .order_by(Recipe.code)))


def get_recipe(session: Session, recipe_id: int) -> Recipe:
    recipe = session.get(Recipe, recipe_id)
    if recipe is None:
        raise NotFound(f"Recipe {recipe_id} does not exist.")
    return recipe


def suggest_recipe_code(session: Session, experiment_id: int) -> str:
    codes = set(session.scalars(select(Recipe.code).where(Recipe.experiment_id == experiment_id)))
    return next_codes(codes, "R", start=0)[0]


def suggest_colour(session: Session, experiment_id: int) -> str:
    """A map colour no recipe of the experiment uses yet (grey for R0 first), else the next
    in rotation: R0 and R1 never look alike on the maps."""
    recipes = list_recipes(session, experiment_id)
    used = {r.colour for r in recipes}
    return next((c for c in COLOURS if c not in used), COLOURS[len(recipes) % len(COLOURS)])


def create_recipe(session: Session, *, experiment_id: int, actor: User, code: str | None = None,
                  **fields) -> Recipe:
    experiment = get_experiment(session, experiment_id, lock=True)
    require_not_running(experiment, "Recipes")
    clean = _clean(fields, creating=True)
    existing = list_recipes(session, experiment.id)
    if code:
        code = clean_code(code, max_len=RECIPE_CODE_MAX)
        if code in {r.code for r in existing}:
            raise Invalid(errors={"code": [f"{code} is already used in this experiment."]})
    code = code or suggest_recipe_code(session, experiment.id)
    clean.setdefault("colour", suggest_colour(session, experiment.id))
    recipe = Recipe(experiment_id=experiment.id, code=code, **clean)
    session.add(recipe)
    session.flush()
    record_event(session, kind="recipe.created", actor=actor, experiment_id=experiment.id,
                 summary=f"Added recipe {code}: {recipe.name}")
    return recipe


def update_recipe(session: Session, *, recipe_id: int, actor: User, **fields) -> Recipe:
    recipe = get_recipe(session, recipe_id)
    experiment = get_experiment(session, recipe.experiment_id, lock=True)
    require_not_running(experiment, "Recipes")
    unknown = set(fields) - {*TEXT, *NUMERIC, "colour", "code"}
    if unknown:
        raise Invalid(errors={k: ["This field cannot be changed."] for k in sorted(unknown)})
    code = fields.pop("code", None)
    for key, value in _clean(fields, creating=False).items():
        setattr(recipe, key, value)
    if code and code != recipe.code:
        code = clean_code(code, max_len=RECIPE_CODE_MAX)
        if session.scalar(select(Recipe.id).where(Recipe.experiment_id == experiment.id,
                                                  Recipe.code == code)):
            raise Invalid(errors={"code": [f"{code} is already used in this experiment."]})
        recipe.code = code
    session.flush()
    return recipe


def delete_recipe(session: Session, *, recipe_id: int, actor: User) -> None:
    recipe = get_recipe(session, recipe_id)
    experiment = get_experiment(session, recipe.experiment_id, lock=True)
    require_not_running(experiment, "Recipes")
    trays = session.scalars(select(Tray.code).where(Tray.recipe_id == recipe.id)
                            .order_by(Tray.code)).all()
    if trays:
        raise Conflict(f"{recipe.code} is assigned to tray(s) {', '.join(trays)}; "
                       "assign them another recipe first.", {"trays": list(trays)})
    fed = session.scalar(select(func.count(FeedingLog.id)).where(FeedingLog.recipe_id == recipe.id))
    lots = session.scalar(select(func.count(Lot.id)).where(Lot.recipe_id == recipe.id))
    if fed or lots:
        raise Conflict(f"{recipe.code} has {fed} feeding(s) and {lots} lot(s) on record and "
                       "cannot be deleted.", {"feedings": fed, "lots": lots})
    session.delete(recipe)
    session.flush()
    record_event(session, kind="recipe.deleted", actor=actor, experiment_id=experiment.id,
                 summary=f"Deleted recipe {recipe.code}")


# Lots ------------------------------------------------------------------------------------

LOT_NUMERIC = {"volume_ml": (0, 1_000_000), "ec": (0, 100), "ph": (0, 14),
               "temperature_c": (-10, 60)}


def list_lots(session: Session, experiment_id: int) -> list[Lot]:
    return list(session.scalars(select(Lot).where(Lot.experiment_id == experiment_id)
                                .order_by(Lot.prepared_at.desc(), Lot.id.desc())))


def create_lot(session: Session, *, experiment_id: int, actor: User, recipe_id, notes: str = "",
               **values) -> Lot:
    """Mix a lot. Allowed in any status: mixing feed is tent-floor work."""
    experiment = get_experiment(session, experiment_id)
    errors: dict[str, list[str]] = {}
    recipe = session.get(Recipe, recipe_id) if isinstance(recipe_id, int) else None
    if recipe is None or recipe.experiment_id != experiment.id:
        errors["recipe_id"] = ["Choose a recipe of this experiment."]
    clean = {key: None for key in LOT_NUMERIC} | parse_numbers(values, LOT_NUMERIC, errors)
    unknown = set(values) - set(LOT_NUMERIC)
    for key in unknown:
        errors[key] = ["Unknown field."]
    if len(notes or "") > 5000:
        errors["notes"] = ["Use at most 5,000 characters."]
    if errors:
        raise Invalid(errors=errors)
    codes = set(session.scalars(select(Lot.code).where(Lot.experiment_id == experiment.id)))
    lot = Lot(experiment_id=experiment.id, recipe_id=recipe.id,
              code=next_codes(codes, "L-", width=2)[0], notes=notes or "",
              prepared_by_id=actor.id, **clean)
    session.add(lot)
    session.flush()
    record_event(session, kind="lot.mixed", actor=actor, experiment_id=experiment.id,
                 summary=f"Mixed lot {lot.code} of {recipe.code}"
                         + (f" ({lot.volume_ml:g} ml)" if lot.volume_ml else ""))
    return lot
