"""What the labels page reads: the admin's template form, and the print choices from a
query string (preview, download) or a form body (job)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...services.labels.selection import DEFAULT_FIELDS, LabelRequest
from ...services.labels.ticks import clean_search
from ..forms import int_or_none

MM = {"places": None, "validators": [DataRequired(), NumberRange(0, 1200)]}
UUID_FIELD = {"plants": "plant", "trays": "tray_uuid", "tents": "tent_uuid"}


class LabelTemplateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    slug = StringField("Short id", validators=[Optional(), Length(max=40)])
    page_width_mm = DecimalField("Page width (mm)", **MM)
    page_height_mm = DecimalField("Page height (mm)", **MM)
    columns = IntegerField("Columns", validators=[DataRequired(), NumberRange(1, 20)])
    rows = IntegerField("Rows", validators=[DataRequired(), NumberRange(1, 50)])
    label_width_mm = DecimalField("Label width (mm)", **MM)
    label_height_mm = DecimalField("Label height (mm)", **MM)
    margin_top_mm = DecimalField("Top margin (mm)", places=None,
                                 validators=[Optional(), NumberRange(0, 1200)])
    margin_left_mm = DecimalField("Left margin (mm)", places=None,
                                  validators=[Optional(), NumberRange(0, 1200)])
    gap_x_mm = DecimalField("Gap between columns (mm)", places=None,
                            validators=[Optional(), NumberRange(0, 1200)])
    gap_y_mm = DecimalField("Gap between rows (mm)", places=None,
                            validators=[Optional(), NumberRange(0, 1200)])

    def geometry(self) -> dict:
        """The sizes as the service takes them (floats; None when left empty)."""
        names = ("page_width_mm", "page_height_mm", "label_width_mm", "label_height_mm",
                 "margin_top_mm", "margin_left_mm", "gap_x_mm", "gap_y_mm")
        values: dict = {n: _num(getattr(self, n).data) for n in names}
        values.update(columns=self.columns.data, rows=self.rows.data)
        return values


def _num(value):
    return float(value) if value is not None else None


def label_request(source) -> LabelRequest:
    """From the query string (preview, download) or a form body (job)."""
    kind = source.get("kind") or "plants"
    uuids = source.getlist(UUID_FIELD[kind]) if kind in UUID_FIELD else []
    fields = tuple(source.getlist("fields")) if source.get("submitted") else DEFAULT_FIELDS

    def number(name: str, default: int):
        raw = source.get(name)
        if raw in (None, ""):
            return default
        value = int_or_none(raw)
        return value if value is not None else str(raw)[:20]

    return LabelRequest(
        kind=kind, template=source.get("template") or "avery-5160",
        plant_filter=source.get("plants") or "all", tray=(source.get("tray") or None),
        uuids=[u for u in uuids if u], fields=fields,
        start=number("start", 1), copies=number("copies", 1),
        q=clean_search(source.get("q")) if kind == "plants" else "")


def query_args(req: LabelRequest) -> dict:
    """The request as query-string arguments (download link, job form, CSS cache key)."""
    args: dict = {"submitted": "1", "kind": req.kind, "template": req.template,
                  "plants": req.plant_filter, "start": req.start, "copies": req.copies,
                  "fields": list(req.fields)}
    if req.tray:
        args["tray"] = req.tray
    if req.q:
        args["q"] = req.q
    if req.uuids:
        args[UUID_FIELD[req.kind]] = list(req.uuids)
    return args
