"""What a scanned text opens, and scan to feed.

A scan is whatever the camera decoded or a hardware scanner typed: a growapp label URL
(``<any host>/p/<uuid>`` or ``/t/<uuid>``: labels outlive changes of PUBLIC_BASE_URL, so
the host is ignored), a bare path or uuid, or a plant code typed from the label. Plant
codes are unique only within an experiment, so a code is looked up in the experiment the
user worked in last, and the matches are listed when that does not settle it.
"""

from __future__ import annotations

import re
import uuid as uuid_mod
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Experiment, FeedingLog, Lot, Plant, Recipe, Tray, TrayPlant, User
from . import feeding
from .errors import Conflict, Invalid, NotFound

MAX_TEXT = 2000
_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
# The label's path at the end of whatever was read: a URL on any host, a path, or a host
# without its scheme (some scanner apps drop it). A query or fragment after it is ignored.
_LABEL_PATH = re.compile(rf"(?:^|/)(p|t)/({_UUID})/?(?:[?#].*)?$")
_BARE_UUID = re.compile(rf"^{_UUID}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True)
class ScanText:
    """What a scanned text is, before looking anything up."""

    kind: str  # "plant" | "tray" | "uuid" (either) | "code"
    value: str  # the uuid (hex with dashes) or the code as typed


@dataclass
class Resolution:
    """A plant or a tray to open, or several plants to choose from (``kind="choose"``)."""

    kind: str  # "plant" | "tray" | "choose"
    text: str
    plant: Plant | None = None
    tray: Tray | None = None
    experiment: Experiment | None = None
    matches: list[tuple[Plant, Experiment]] = field(default_factory=list)
    # The code resolved in the last experiment, and these experiments have it too.
    also_in: list[Experiment] = field(default_factory=list)


def read_scan(text: str | None) -> ScanText:
    """Parse a scanned text. Raises Invalid (empty, or not a growapp label or code)."""
    raw = (text or "").strip()
    if not raw:
        raise Invalid("Scan a label or type a plant code.", {"q": ["Scan or type a code."]})
    if len(raw) > MAX_TEXT:
        raise Invalid("That is not a growapp label.", {"q": ["Too long for a label."]})
    if match := _LABEL_PATH.search(raw):
        return ScanText("plant" if match.group(1) == "p" else "tray",
                        str(uuid_mod.UUID(match.group(2))))
    if _BARE_UUID.match(raw):
        return ScanText("uuid", str(uuid_mod.UUID(raw)))
    if _CODE.match(raw) and "://" not in raw:
        return ScanText("code", raw)
    raise Invalid(f"“{_short(raw)}” is not a growapp label: growapp labels carry the link "
                  "of a plant or a tray, or a plant code such as VFT-014.",
                  {"q": ["Not a growapp label."]})


def resolve_scan(session: Session, *, text: str | None,
                 last_experiment_id: int | None = None) -> Resolution:
    """The plant or tray a scanned text names. Raises Invalid (not a growapp label),
    NotFound (no plant or tray has that uuid or code)."""
    scan = read_scan(text)
    if scan.kind in ("plant", "tray", "uuid"):
        uid = uuid_mod.UUID(scan.value)
        if scan.kind in ("plant", "uuid"):
            plant = session.scalar(select(Plant).where(Plant.uuid == uid))
            if plant is not None:
                return Resolution("plant", scan.value, plant=plant,
                                  experiment=session.get(Experiment, plant.experiment_id))
        if scan.kind in ("tray", "uuid"):
            tray = session.scalar(select(Tray).where(Tray.uuid == uid))
            if tray is not None:
                return Resolution("tray", scan.value, tray=tray,
                                  experiment=session.get(Experiment, tray.experiment_id))
        what = {"plant": "plant", "tray": "tray", "uuid": "plant or tray"}[scan.kind]
        raise NotFound(f"No {what} here has this label. It may come from another growapp "
                       "installation, or what it named was deleted.")
    return _resolve_code(session, scan.value, last_experiment_id)


def _resolve_code(session: Session, code: str, last_experiment_id: int | None) -> Resolution:
    plants = [tuple(r) for r in session.execute(
        select(Plant, Experiment).join(Experiment, Experiment.id == Plant.experiment_id)
        .where(func.lower(Plant.plant_code) == code.lower())
        .order_by((Experiment.status == "running").desc(), Experiment.id.desc()))]
    here = [(p, e) for p, e in plants if e.id == last_experiment_id]
    if here:
        plant, experiment = here[0]
        return Resolution("plant", code, plant=plant, experiment=experiment,
                          also_in=[e for _p, e in plants if e.id != experiment.id])
    if len(plants) == 1:
        plant, experiment = plants[0]
        return Resolution("plant", code, plant=plant, experiment=experiment)
    if plants:
        return Resolution("choose", code, matches=plants)
    trays = [tuple(r) for r in session.execute(
        select(Tray, Experiment).join(Experiment, Experiment.id == Tray.experiment_id)
        .where(func.lower(Tray.code) == code.lower()))]
    trays = [(t, e) for t, e in trays if e.id == last_experiment_id] or trays
    if len(trays) == 1:
        tray, experiment = trays[0]
        return Resolution("tray", code, tray=tray, experiment=experiment)
    raise NotFound(f"No plant has the code {code}.")


def remembered_experiment(session: Session, remembered: dict | None) -> int | None:
    """The experiment of what the user opened last: ``{"experiment": id}``, or the plant or
    tray of a cockpit or tray page (``{"plant": uuid}`` / ``{"tray": uuid}``), looked up
    only now so those pages pay no query for it."""
    if not isinstance(remembered, dict):
        return None
    if isinstance(remembered.get("experiment"), int):
        return remembered["experiment"]
    for key, model in (("plant", Plant), ("tray", Tray)):
        value = remembered.get(key)
        if value:
            try:
                uid = uuid_mod.UUID(str(value))
            except ValueError:
                return None
            return session.scalar(select(model.experiment_id).where(model.uuid == uid))
    return None


# Scan to feed ----------------------------------------------------------------------------

@dataclass
class ScanFeed:
    """One scan that fed: the label (plant or tray uuid), what was fed, the logs."""

    label: str
    name: str  # the plant code, or "tray TR1"
    summary: str
    logs: list[FeedingLog]


def feed_scanned(session: Session, *, experiment_id: int, text: str | None,
                 lot_ids: Iterable[int], actor: User) -> ScanFeed:
    """Feed the plant (or the whole tray) a scanned label names, with the tray's recipe and
    the chosen lot of that recipe (``lot_ids``: the lots chosen per recipe; the one for the
    tray's recipe is used, none if no lot of it was chosen). Raises Invalid, NotFound,
    Conflict (another experiment, and everything ``log_feeding``/``feed_tray`` raise)."""
    found = resolve_scan(session, text=text, last_experiment_id=experiment_id)
    if found.kind == "choose" or found.experiment is None \
            or found.experiment.id != experiment_id:
        where = found.experiment.name if found.experiment else "other experiments"
        what = found.plant.plant_code if found.plant else (
            f"Tray {found.tray.code}" if found.tray else found.text)
        raise Conflict(f"{what} belongs to {where}, not to this feeding queue.",
                       {"experiment_id": found.experiment.id if found.experiment else None})
    if found.plant is not None:
        tray = session.scalar(select(Tray).join(TrayPlant, TrayPlant.tray_id == Tray.id)
                              .where(TrayPlant.plant_id == found.plant.id))
        lot = _chosen_lot(session, experiment_id, tray, lot_ids)
        log = feeding.log_feeding(session, plant_uuid=found.plant.uuid, actor=actor,
                                  lot_id=lot.id if lot else None)
        return ScanFeed(str(found.plant.uuid), found.plant.plant_code,
                        f"Fed {found.plant.plant_code}{_recipe_text(session, log, lot)}.", [log])
    tray = found.tray
    lot = _chosen_lot(session, experiment_id, tray, lot_ids)
    logs = feeding.feed_tray(session, tray_id=tray.id, actor=actor,
                             lot_id=lot.id if lot else None)
    plural = "" if len(logs) == 1 else "s"
    return ScanFeed(str(tray.uuid), f"tray {tray.code}",
                    f"Fed tray {tray.code}: {len(logs)} plant{plural}"
                    f"{_recipe_text(session, logs[0], lot)}.", logs)


def _chosen_lot(session: Session, experiment_id: int, tray: Tray | None,
                lot_ids: Iterable[int]) -> Lot | None:
    ids = [i for i in lot_ids if isinstance(i, int) and 0 < i < 2**63]  # SQLite's range
    if tray is None or tray.recipe_id is None or not ids:
        return None
    return session.scalar(select(Lot).where(
        Lot.id.in_(ids), Lot.experiment_id == experiment_id, Lot.recipe_id == tray.recipe_id)
        .order_by(Lot.id.desc()).limit(1))


def _recipe_text(session: Session, log: FeedingLog, lot: Lot | None) -> str:
    recipe = session.get(Recipe, log.recipe_id)
    return f" ({recipe.code}" + (f", lot {lot.code}" if lot else "") + ")"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
