"""What goes on which label: the request, its checks, and the labels in print order."""

from __future__ import annotations

import uuid as uuid_mod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...labels.fitting import LabelContent
from ...labels.sheet import place
from ...labels.templates import SheetTemplate
from ...models import Event, Experiment, Plant, Recipe, Species, Tent, Tray, TrayPlant
from ..errors import Invalid
from ..experiments import get_experiment
from .sheet_templates import get_template, slugify
from .ticks import clean_search, search_clause

KINDS = ("plants", "trays", "tents")
PLANT_FILTERS = ("all", "needs_label", "selected")
# What may print under the code, most important first: lines are dropped from the end
# when a small label has no room left.
LABEL_FIELDS = {
    "species": "Species",
    "cultivar": "Cultivar",
    "recipe": "Recipe",
    "tray": "Tray",
    "grade": "Grade",
    "planted": "Planting date",
    "experiment": "Experiment short name",
}
DEFAULT_FIELDS = ("species", "recipe", "experiment")
MAX_COPIES = 10
MAX_LABELS = 5000
MAX_TICKED = 200  # ticked rows travel in the query string; more: use a filter
BACKGROUND_OVER = 100  # more labels than this render in a background job
PRINT_EVENT = {"plants": "labels.plants_printed", "trays": "labels.trays_printed",
               "tents": "labels.tents_printed"}


@dataclass
class LabelRequest:
    """What to print. ``uuids``: ticked plants (``plant_filter="selected"``), or the trays
    / tents to print (empty: all of them). ``tray``: only plants in that tray (a code).
    ``q``: only plants whose code, cultivar or species contains it ("all" and "needs a
    label" then mean every *matching* plant, resolved here, not what a page listed)."""

    kind: str = "plants"
    template: str = "avery-5160"
    plant_filter: str = "all"
    tray: str | None = None
    uuids: list[str] = field(default_factory=list)
    fields: tuple[str, ...] = DEFAULT_FIELDS
    start: int = 1
    copies: int = 1
    q: str = ""


@dataclass
class Prepared:
    """A validated request: the sheet, one entry per label (copies included)."""

    experiment: Experiment
    template: SheetTemplate
    request: LabelRequest
    labels: list[LabelContent]
    ids: list[int]  # the plants / trays / tents selected, in print order
    sample: bool = False  # no selection: example labels to show the sheet
    total: int | None = None  # a preview's label count when ``labels`` holds only its head

    @property
    def count(self) -> int:
        return len(self.labels) if self.total is None else self.total

    @property
    def pages(self) -> int:
        per_page = self.template.cells_per_page
        return (self.request.start - 1 + self.count + per_page - 1) // per_page

    @property
    def background(self) -> bool:
        return self.count > BACKGROUND_OVER

    @property
    def filename(self) -> str:
        name = slugify(self.experiment.short_name or self.experiment.name) or "experiment"
        return f"{name}-{self.request.kind}-labels-{self.template.slug}.pdf"

    @property
    def title(self) -> str:
        return (f"{self.experiment.short_name or self.experiment.name} · "
                f"{self.request.kind} labels")



def last_printed_at(session: Session, experiment_id: int, kind: str = "plants"):
    return session.scalar(select(func.max(Event.at)).where(
        Event.experiment_id == experiment_id, Event.kind == PRINT_EVENT[kind]))


def _uuid_list(values: Sequence[str], field_name: str, noun: str) -> list[uuid_mod.UUID]:
    out, bad = [], []
    for value in values:
        try:
            out.append(uuid_mod.UUID(str(value).strip()))
        except ValueError:
            bad.append(str(value)[:40])
    if bad:
        raise Invalid(errors={field_name: [f"These are not {noun} ids: {', '.join(bad[:5])}."]})
    return list(dict.fromkeys(out))


def _check_all_found(wanted: list[uuid_mod.UUID], found: set, field_name: str, noun: str):
    missing = [str(u) for u in wanted if u not in found]
    if missing:
        raise Invalid(errors={field_name: [
            f"{len(missing)} of the chosen {noun} are not in this experiment "
            f"({', '.join(missing[:3])}{'…' if len(missing) > 3 else ''})."]})


def _plant_filter(session: Session, experiment: Experiment, request: LabelRequest,
                  ids: list[int] | None) -> tuple[list, bool]:
    """The conditions on Plant (and TrayPlant, when the second value is True) that choose
    the plants to print; the tray is looked up here."""
    where = [Plant.experiment_id == experiment.id]
    if ids is not None:
        return where + [Plant.id.in_(ids)], False
    if request.plant_filter == "selected":
        wanted = _uuid_list(request.uuids, "plants", "plant")
        if not wanted:
            raise Invalid("Tick at least one plant.", {"plants": ["Tick at least one plant."]})
        if len(wanted) > MAX_TICKED:
            raise Invalid(errors={"plants": [
                f"Tick at most {MAX_TICKED} plants; for more, print all or a tray."]})
        where.append(Plant.uuid.in_(wanted))
    else:
        where.append(Plant.status == "active")
        if clean_search(request.q):
            where.append(search_clause(clean_search(request.q)))
        if request.plant_filter == "needs_label":
            since = last_printed_at(session, experiment.id)
            if since is not None:
                where.append(Plant.created_at > since)
    if request.tray:
        tray_id = session.scalar(select(Tray.id).where(
            Tray.experiment_id == experiment.id, Tray.code == request.tray.strip()))
        if tray_id is None:
            raise Invalid(errors={"tray": [f"There is no tray {request.tray} here."]})
        where.append(TrayPlant.tray_id == tray_id)
        return where, True
    return where, False


def _plant_query(where: list):
    """The chosen plants with what their labels print, in print order (not executed)."""
    return (select(Plant.id, Plant.uuid, Plant.plant_code, Plant.cultivar, Plant.grade,
                   Plant.planted_on, Plant.created_at, Species.common_name,
                   Species.scientific_name, Tray.code, Recipe.code)
            .join(Species, Species.id == Plant.species_id)
            .outerjoin(TrayPlant, TrayPlant.plant_id == Plant.id)
            .outerjoin(Tray, Tray.id == TrayPlant.tray_id)
            .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
            .where(*where).order_by(Plant.plant_code))


def _plant_rows(session: Session, experiment: Experiment, request: LabelRequest,
                ids: list[int] | None):
    rows = session.execute(_plant_query(_plant_filter(session, experiment, request, ids)[0])).all()
    if ids is None and request.plant_filter == "selected":
        _check_all_found(_uuid_list(request.uuids, "plants", "plant"),
                         {r[1] for r in rows}, "plants", "plants")
    return rows


def _plant_labels(rows, experiment: Experiment, fields: tuple[str, ...],
                  base_url: str | None) -> list[LabelContent]:
    chosen = set(fields)
    short = experiment.short_name or experiment.name
    out = []
    for (_pid, puuid, code, cultivar, grade, planted_on, created_at, common, scientific,
         tray_code, recipe_code) in rows:
        lines = []
        species = (common or scientific) if "species" in chosen else ""
        if "cultivar" in chosen and cultivar:
            species = f"{species} '{cultivar}'".strip()
        lines.append(species)
        where = []
        if "recipe" in chosen and recipe_code:
            where.append(recipe_code)
        if "tray" in chosen and tray_code:
            where.append(tray_code)
        if "grade" in chosen and grade:
            where.append(f"Grade {grade}")
        lines.append(" · ".join(where))
        if "planted" in chosen:
            day = planted_on or (created_at.date() if created_at else None)
            lines.append(f"Planted {day.isoformat()}" if day else "")
        if "experiment" in chosen:
            lines.append(short)
        out.append(LabelContent(code, [line for line in lines if line],
                                f"{base_url}/p/{puuid}" if base_url else None))
    return out


def _tray_rows(session: Session, experiment: Experiment, request: LabelRequest,
               ids: list[int] | None):
    stmt = (select(Tray.id, Tray.uuid, Tray.code, Tray.name, Recipe.code, Recipe.name)
            .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
            .where(Tray.experiment_id == experiment.id))
    wanted = None
    if ids is not None:
        stmt = stmt.where(Tray.id.in_(ids))
    elif request.uuids:
        wanted = _uuid_list(request.uuids, "trays", "tray")
        stmt = stmt.where(Tray.uuid.in_(wanted))
    rows = session.execute(stmt.order_by(func.length(Tray.code), Tray.code)).all()
    if wanted:
        _check_all_found(wanted, {r[1] for r in rows}, "trays", "trays")
    return rows


def _tray_labels(rows, experiment: Experiment, fields: tuple[str, ...],
                 base_url: str | None) -> list[LabelContent]:
    chosen = set(fields)
    short = experiment.short_name or experiment.name
    out = []
    for _tid, tuuid, code, name, recipe_code, recipe_name in rows:
        # No plant count: a number printed on a tray label is wrong after the next move.
        lines = [name or ""]
        if "recipe" in chosen:
            lines.append(f"{recipe_code} · {recipe_name}" if recipe_code else "No recipe yet")
        if "experiment" in chosen:
            lines.append(short)
        out.append(LabelContent(code, [line for line in lines if line],
                                f"{base_url}/t/{tuuid}" if base_url else None))
    return out


def _tent_rows(session: Session, experiment: Experiment, request: LabelRequest,
               ids: list[int] | None):
    stmt = select(Tent.id, Tent.uuid, Tent.code, Tent.name).where(
        Tent.experiment_id == experiment.id)
    wanted = None
    if ids is not None:
        stmt = stmt.where(Tent.id.in_(ids))
    elif request.uuids:
        wanted = _uuid_list(request.uuids, "tents", "tent")
        stmt = stmt.where(Tent.uuid.in_(wanted))
    rows = session.execute(stmt.order_by(func.length(Tent.code), Tent.code)).all()
    if wanted:
        _check_all_found(wanted, {r[1] for r in rows}, "tents", "tents")
    return rows


def _tent_labels(rows, experiment: Experiment, fields: tuple[str, ...]) -> list[LabelContent]:
    # Tent labels are signs on the tent door: code and name, no QR code. There is no tent
    # page to open, and a QR to the experiment overview would carry an integer id that
    # means nothing to a phone without a session.
    short = experiment.short_name or experiment.name
    return [LabelContent(code, [line for line in (name, short if "experiment" in fields
                                                  else "") if line], None)
            for _id, _uuid, code, name in rows]


def _sample_labels(template: SheetTemplate, base_url: str | None, kind: str,
                   experiment: Experiment) -> list[LabelContent]:
    short = experiment.short_name or experiment.name
    count = min(template.cells_per_page, 65)
    prefix = {"plants": "VFT-", "trays": "TR", "tents": "TN"}[kind]
    path = {"plants": "p", "trays": "t"}.get(kind)
    return [LabelContent(f"{prefix}{i:03d}" if kind == "plants" else f"{prefix}{i}",
                         ["Venus flytrap 'B52'", "R1 · TR1", short] if kind == "plants"
                         else ["Example", short],
                         f"{base_url}/{path}/{uuid_mod.UUID(int=i)}" if base_url and path
                         else None)
            for i in range(1, count + 1)]


def _check_shape(session: Session, request: LabelRequest) -> SheetTemplate | None:
    """Shape and range checks, all reported at once. Returns the template if it is fine."""
    errors: dict[str, list[str]] = {}
    template = None
    if request.kind not in KINDS:
        errors["kind"] = ["Print plants, trays or tents."]
    if request.plant_filter not in PLANT_FILTERS:
        errors["plants"] = ["Choose all plants, the plants that need a label, or tick some."]
    unknown = [f for f in request.fields if f not in LABEL_FIELDS]
    if unknown:
        errors["fields"] = [f"Unknown field {', '.join(unknown)}; choose from "
                            f"{', '.join(LABEL_FIELDS)}."]
    try:
        template = get_template(session, request.template)
    except Invalid as exc:
        errors.update(exc.errors)
    if not isinstance(request.copies, int) or not 1 <= request.copies <= MAX_COPIES:
        errors["copies"] = [f"Print between 1 and {MAX_COPIES} copies of each label."]
    if template is not None and (not isinstance(request.start, int)
                                 or not 1 <= request.start <= template.cells_per_page):
        errors["start"] = [f"Start at a label from 1 to {template.cells_per_page}: that is how "
                           f"many the {template.name} sheet has."]
    elif template is None and (not isinstance(request.start, int) or request.start < 1):
        errors["start"] = ["Start at label 1 or later."]
    if errors:
        raise Invalid("These labels cannot be printed. Check the highlighted choices.", errors)
    return template


EMPTY = {
    ("plants", "all"): "There are no active plants to print.",
    ("plants", "needs_label"): "Every plant has been printed since it was added: none needs "
                               "a label.",
    ("plants", "selected"): "Tick at least one plant.",
    ("trays", None): "This experiment has no trays yet.",
    ("tents", None): "This experiment has no tents yet.",
}


def _finish(experiment: Experiment, template: SheetTemplate, request: LabelRequest,
            labels: list[LabelContent], selected: list[int], total: int | None,
            base_url: str | None, allow_sample: bool) -> Prepared:
    """The checks on what was selected (``total`` of them, ``labels`` the first ones when a
    preview built only its first sheet), then the copies."""
    found = len(labels) if total is None else total
    if not found:
        if allow_sample:
            return Prepared(experiment, template, request,
                            _sample_labels(template, base_url, request.kind, experiment), [],
                            sample=True)
        key = (request.kind, request.plant_filter if request.kind == "plants" else None)
        message = EMPTY[key]
        if request.kind == "plants" and request.tray:
            message = f"No plants of this choice are in tray {request.tray}."
        raise Invalid(message, {request.kind: [message]})
    if found * request.copies > MAX_LABELS:
        raise Invalid(errors={"copies": [
            f"That is {found * request.copies:,} labels; print at most {MAX_LABELS:,} "
            "at a time."]})
    labels = [label for label in labels for _ in range(request.copies)]
    return Prepared(experiment, template, request, labels, selected,
                    total=None if total is None else total * request.copies)


def prepare_labels(session: Session, *, experiment_id: int, request: LabelRequest,
                   base_url: str | None, ids: list[int] | None = None,
                   allow_sample: bool = False) -> Prepared:
    """Validate ``request`` and build every label (copies included), in print order.

    ``ids`` replays a frozen selection (a background job). ``allow_sample``: an empty
    selection gives example labels instead of an error (the on-screen preview).
    Raises NotFound (experiment), Invalid (template, start, copies, fields, selection)."""
    experiment = get_experiment(session, experiment_id)
    template = _check_shape(session, request)
    request = replace(request, fields=tuple(dict.fromkeys(request.fields)))
    return _build_all(session, experiment, template, request, ids, base_url, allow_sample)


def _build_all(session: Session, experiment: Experiment, template: SheetTemplate,
               request: LabelRequest, ids: list[int] | None, base_url: str | None,
               allow_sample: bool) -> Prepared:
    if request.kind == "plants":
        rows = _plant_rows(session, experiment, request, ids)
        labels = _plant_labels(rows, experiment, request.fields, base_url)
    elif request.kind == "trays":
        rows = _tray_rows(session, experiment, request, ids)
        labels = _tray_labels(rows, experiment, request.fields, base_url)
    else:
        rows = _tent_rows(session, experiment, request, ids)
        labels = _tent_labels(rows, experiment, request.fields)
    return _finish(experiment, template, request, labels, [r[0] for r in rows], None,
                   base_url, allow_sample)


def preview_labels(session: Session, *, experiment_id: int, request: LabelRequest,
                   base_url: str | None) -> tuple[Prepared, list[tuple[int, LabelContent]]]:
    """The request checked, and the labels of its first sheet (cell index, label).

    Plants chosen by a filter ("all", "needs a label", a search, a tray) are counted in
    SQL (an uncorrelated count over plants alone, a column of the statement that fetches
    the first sheet's rows: ``count(*) OVER ()`` made the database join species, tray and
    recipe for every plant, 48 ms at 5,000 on PostgreSQL) and only the first sheet's
    labels are built: ``count`` and ``pages`` cover every label, ``labels``
    and ``ids`` only the first sheet. Ticked plants, trays and tents are few: built whole."""
    experiment = get_experiment(session, experiment_id)
    template = _check_shape(session, request)
    request = replace(request, fields=tuple(dict.fromkeys(request.fields)))
    if request.kind == "plants" and request.plant_filter != "selected":
        room = template.cells_per_page - request.start + 1
        head = -(-room // request.copies)  # plants whose copies fill the first sheet
        where, by_tray = _plant_filter(session, experiment, request, None)
        counted = select(func.count()).select_from(Plant)
        if by_tray:
            counted = counted.join(TrayPlant, TrayPlant.plant_id == Plant.id)
        counted = counted.where(*where).scalar_subquery()  # once, not per row
        rows = session.execute(_plant_query(where).add_columns(counted).limit(head)).all()
        total = rows[0][-1] if rows else 0
        rows = [row[:-1] for row in rows]
        prepared = _finish(experiment, template, request,
                           _plant_labels(rows, experiment, request.fields, base_url),
                           [r[0] for r in rows], total, base_url, allow_sample=True)
    else:  # ticked plants (at most MAX_TICKED), trays, tents: few; built as printed
        prepared = _build_all(session, experiment, template, request, None, base_url,
                              allow_sample=True)
    first = place(prepared.template, prepared.labels[:prepared.template.cells_per_page],
                  prepared.request.start)[0]
    return prepared, first
