"""Label sheet templates as data, every size in millimetres.

A template is a page with a grid of equal cells: ``columns`` × ``rows`` labels of
``label_width_mm`` × ``label_height_mm``, the first one ``margin_left_mm`` / ``margin_top_mm``
from the page's top-left corner, neighbours ``gap_x_mm`` / ``gap_y_mm`` apart. The built-ins
below are loaded into ``label_templates`` by
``services.labels.sheet_templates.ensure_label_templates``;
admins add their own rows with the same fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Below this a QR code beside readable text no longer fits (and scanning gets unreliable).
MIN_LABEL_WIDTH_MM = 20.0
MIN_LABEL_HEIGHT_MM = 10.0
MAX_PAGE_MM = 1200.0
MAX_COLUMNS = 20
MAX_ROWS = 50
# Fit checks allow for rounding of the published sizes (Avery lists 1/16" steps).
TOLERANCE_MM = 0.05


@dataclass(frozen=True, slots=True)
class SheetTemplate:
    slug: str
    name: str
    page_width_mm: float
    page_height_mm: float
    columns: int
    rows: int
    label_width_mm: float
    label_height_mm: float
    margin_top_mm: float = 0.0
    margin_left_mm: float = 0.0
    gap_x_mm: float = 0.0
    gap_y_mm: float = 0.0
    is_builtin: bool = False

    @property
    def cells_per_page(self) -> int:
        return self.columns * self.rows

    def cell_origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (x, y) in mm of cell ``index`` (0-based, row by row)."""
        row, col = divmod(index, self.columns)
        return (self.margin_left_mm + col * (self.label_width_mm + self.gap_x_mm),
                self.margin_top_mm + row * (self.label_height_mm + self.gap_y_mm))

    @property
    def used_width_mm(self) -> float:
        return (self.margin_left_mm + self.columns * self.label_width_mm
                + (self.columns - 1) * self.gap_x_mm)

    @property
    def used_height_mm(self) -> float:
        return (self.margin_top_mm + self.rows * self.label_height_mm
                + (self.rows - 1) * self.gap_y_mm)

    def describe(self) -> str:
        return (f"{self.columns}×{self.rows} = {self.cells_per_page} per page, "
                f"{_mm(self.label_width_mm)}×{_mm(self.label_height_mm)} mm on "
                f"{_mm(self.page_width_mm)}×{_mm(self.page_height_mm)} mm")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_row(cls, row) -> SheetTemplate:
        """From a LabelTemplate row (or anything with the same attributes)."""
        return cls(**{name: getattr(row, name) for name in FIELDS})


FIELDS = ("slug", "name", "page_width_mm", "page_height_mm", "columns", "rows",
          "label_width_mm", "label_height_mm", "margin_top_mm", "margin_left_mm",
          "gap_x_mm", "gap_y_mm", "is_builtin")
GEOMETRY = FIELDS[2:12]


def _mm(value: float) -> str:
    return f"{value:g}"


US_LETTER = (215.9, 279.4)
A4 = (210.0, 297.0)

BUILTIN_TEMPLATES: tuple[SheetTemplate, ...] = (
    SheetTemplate("avery-5160", "Avery 5160 · US Letter, 30 up", *US_LETTER, columns=3,
                  rows=10, label_width_mm=66.675, label_height_mm=25.4, margin_top_mm=12.7,
                  margin_left_mm=4.7625, gap_x_mm=3.175, gap_y_mm=0.0, is_builtin=True),
    SheetTemplate("avery-8160", "Avery 8160 · US Letter, 30 up (inkjet)", *US_LETTER,
                  columns=3, rows=10, label_width_mm=66.675, label_height_mm=25.4,
                  margin_top_mm=12.7, margin_left_mm=4.7625, gap_x_mm=3.175, gap_y_mm=0.0,
                  is_builtin=True),
    SheetTemplate("avery-l7651", "Avery L7651 · A4, 65 up", *A4, columns=5, rows=13,
                  label_width_mm=38.1, label_height_mm=21.2, margin_top_mm=10.7,
                  margin_left_mm=4.65, gap_x_mm=2.5, gap_y_mm=0.0, is_builtin=True),
    SheetTemplate("thermal-50x25", "Thermal 50×25 mm · one label per page", 50.0, 25.0,
                  columns=1, rows=1, label_width_mm=50.0, label_height_mm=25.0,
                  is_builtin=True),
)
BUILTIN_BY_SLUG = {t.slug: t for t in BUILTIN_TEMPLATES}


def geometry_errors(t: SheetTemplate) -> dict[str, list[str]]:
    """Field messages for a template whose numbers are out of range or whose cells do not
    fit the page (margins + cells + gaps must stay inside the page in both directions)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("page_width_mm", "page_height_mm"):
        value = getattr(t, field)
        if not 0 < value <= MAX_PAGE_MM:
            add(field, f"Use a page size between 1 and {MAX_PAGE_MM:g} mm.")
    if not 1 <= t.columns <= MAX_COLUMNS:
        add("columns", f"Use between 1 and {MAX_COLUMNS} columns.")
    if not 1 <= t.rows <= MAX_ROWS:
        add("rows", f"Use between 1 and {MAX_ROWS} rows.")
    if t.label_width_mm < MIN_LABEL_WIDTH_MM:
        add("label_width_mm", f"Labels must be at least {MIN_LABEL_WIDTH_MM:g} mm wide "
                              "to hold a QR code and the plant code.")
    if t.label_height_mm < MIN_LABEL_HEIGHT_MM:
        add("label_height_mm", f"Labels must be at least {MIN_LABEL_HEIGHT_MM:g} mm tall "
                               "to hold a QR code.")
    for field in ("margin_top_mm", "margin_left_mm", "gap_x_mm", "gap_y_mm"):
        value = getattr(t, field)
        if value < 0 or value > MAX_PAGE_MM:
            add(field, "Use a value of 0 mm or more.")
    if errors:
        return errors
    if t.used_width_mm > t.page_width_mm + TOLERANCE_MM:
        add("columns", (
            f"The cells do not fit across the page: {_mm(t.margin_left_mm)} mm margin + "
            f"{t.columns} × {_mm(t.label_width_mm)} mm + {t.columns - 1} × "
            f"{_mm(t.gap_x_mm)} mm gaps = {t.used_width_mm:.2f} mm, but the page is "
            f"{_mm(t.page_width_mm)} mm wide."))
    if t.used_height_mm > t.page_height_mm + TOLERANCE_MM:
        add("rows", (
            f"The cells do not fit down the page: {_mm(t.margin_top_mm)} mm margin + "
            f"{t.rows} × {_mm(t.label_height_mm)} mm + {t.rows - 1} × "
            f"{_mm(t.gap_y_mm)} mm gaps = {t.used_height_mm:.2f} mm, but the page is "
            f"{_mm(t.page_height_mm)} mm tall."))
    return errors
