"""Text fitting: how the words of one label are split into lines and sized, in mm.

Why text never overflows: every label line is set in a monospaced font, whose glyphs all
advance by the same width (0.600–0.602 em for DejaVu Sans Mono, Liberation Mono and
Courier). A line of *n* characters at size *s* is therefore at most ``n × CHAR_EM × s``
wide, and font sizes are chosen (long codes wrapped, other lines cut with "…") so that this
stays inside the text box; lines are stacked only while their heights fit. The text box
also clips (``overflow: hidden``, see ``sheet.py``) as a second line of defence.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from .templates import SheetTemplate

PT_MM = 25.4 / 72
CHAR_EM = 0.61  # advance of one monospaced glyph in em, with 1 % to spare
LINE = 1.15  # line height in em
PAD_MM = 1.5  # blank edge inside each cell (also part of the QR code's quiet zone)
GAP_MM = 1.2  # between QR code and text
FS_STEP = 4  # font sizes in quarter points: class lbl-fs-<quarter points>
CODE_MAX_PT = 20.0
CODE_READABLE_PT = 9.0  # a one-line code at least this big is never wrapped
CODE_MIN_PT = 4.0
LINE_MAX_PT = 8.0
LINE_MIN_PT = 5.0
MAX_CODE_LINES = 6
ELLIPSIS = "…"


@dataclass(slots=True)
class LabelContent:
    """What one label says. ``qr_url`` None: a label without a QR code (tents)."""

    code: str
    lines: list[str] = field(default_factory=list)
    qr_url: str | None = None


@dataclass(slots=True)
class TextLine:
    text: str
    quarter_pt: int  # font size in quarter points
    bold: bool = False

    @property
    def height_mm(self) -> float:
        return self.quarter_pt / FS_STEP * PT_MM * LINE


@dataclass(frozen=True, slots=True)
class CellBoxes:
    """Where things sit inside every cell of a template (mm from the cell's corner)."""

    qr_left: float
    qr_top: float
    qr_side: float
    text_left: float  # with a QR code
    text_width: float
    plain_left: float  # without one
    plain_width: float
    text_top: float
    text_height: float


def cell_boxes(template: SheetTemplate) -> CellBoxes:
    w, h = template.label_width_mm, template.label_height_mm
    inner_w, inner_h = w - 2 * PAD_MM, h - 2 * PAD_MM
    qr = min(inner_h, inner_w * 0.5)
    text_left = PAD_MM + qr + GAP_MM
    return CellBoxes(qr_left=PAD_MM, qr_top=(h - qr) / 2, qr_side=qr, text_left=text_left,
                     text_width=w - text_left - PAD_MM, plain_left=PAD_MM, plain_width=inner_w,
                     text_top=PAD_MM, text_height=inner_h)


# Text measuring --------------------------------------------------------------------------

def columns(text: str) -> int:
    """Width in monospace cells: East Asian wide characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def width_mm(text: str, quarter_pt: int) -> float:
    """The most a line of ``text`` can measure at this size in the label font."""
    return columns(text) * CHAR_EM * quarter_pt / FS_STEP * PT_MM


def _chunks(text: str, cols: int) -> list[str]:
    if text.isascii():
        return [text[i:i + cols] for i in range(0, len(text), max(cols, 1))] or [""]
    out, line, used = [], [], 0
    for ch in text:
        w = columns(ch)
        if used + w > cols and line:
            out.append("".join(line))
            line, used = [], 0
        line.append(ch)
        used += w
    if line:
        out.append("".join(line))
    return out or [""]


def truncate(text: str, cols: int) -> str:
    """Cut ``text`` to ``cols`` monospace cells, ending in "…" when something was cut."""
    if columns(text) <= cols:
        return text
    if cols <= 1:
        return ELLIPSIS if cols == 1 else ""
    return _chunks(text, cols - 1)[0] + ELLIPSIS


def _quarter_floor(size_pt: float) -> int:
    return max(1, math.floor(size_pt * FS_STEP + 1e-9))


def _cols_at(width: float, quarter_pt: int) -> int:
    return int(width / (CHAR_EM * quarter_pt / FS_STEP * PT_MM) + 1e-9)


# Layout ----------------------------------------------------------------------------------

def _fit_code(code: str, width: float, budget: float) -> list[TextLine]:
    """The plant/tray code, as large as fits: one line when that stays readable, else
    wrapped over up to MAX_CODE_LINES lines, else cut with "…" at the smallest size."""
    n = max(columns(code), 1)
    cap = CODE_MAX_PT * PT_MM
    best: tuple[float, int] | None = None
    for k in range(1, MAX_CODE_LINES + 1):
        per_line = math.ceil(n / k)
        size = min(cap, width / (per_line * CHAR_EM), budget / (k * LINE))
        if k == 1 and size >= CODE_READABLE_PT * PT_MM:
            best = (size, 1)
            break
        if best is None or size > best[0] + 1e-9:
            best = (size, k)
    q = _quarter_floor(best[0] / PT_MM)
    if q >= CODE_MIN_PT * FS_STEP:
        parts = _chunks(code, _cols_at(width, q))
        if len(parts) * q / FS_STEP * PT_MM * LINE <= budget + 1e-9:
            return [TextLine(p, q, True) for p in parts]
    # Too long even at the smallest size: as many lines as fit, the last one cut.
    q = int(CODE_MIN_PT * FS_STEP)
    cols = max(_cols_at(width, q), 1)
    max_lines = max(1, int(budget / (q / FS_STEP * PT_MM * LINE) + 1e-9))
    parts = _chunks(code, cols)
    if len(parts) > max_lines:
        parts = parts[:max_lines]
        parts[-1] = truncate(parts[-1] + ELLIPSIS * 2, cols)
    return [TextLine(p, q, True) for p in parts]


def layout_label(template: SheetTemplate, content: LabelContent,
                 boxes: CellBoxes | None = None) -> list[TextLine]:
    """The text lines of one label with their sizes, guaranteed to fit its text box."""
    boxes = boxes or cell_boxes(template)
    width = boxes.text_width if content.qr_url else boxes.plain_width
    height = boxes.text_height
    extra = [line for line in content.lines if line]
    lines = _fit_code(content.code, width, height * (0.55 if extra else 1.0))
    remaining = height - sum(line.height_mm for line in lines)
    while extra:
        size_pt = min(LINE_MAX_PT, remaining / (len(extra) * LINE) / PT_MM)
        if size_pt >= LINE_MIN_PT:
            q = _quarter_floor(size_pt)
            cols = _cols_at(width, q)
            lines.extend(TextLine(truncate(text, cols), q) for text in extra)
            break
        extra = extra[:-1]  # drop the least important line
    return lines
