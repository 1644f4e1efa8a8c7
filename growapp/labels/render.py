"""Label layout, HTML and PDF (WeasyPrint).

One layout serves both outputs. ``layout_label`` decides, in millimetres, how the text of
one label is split into lines and sized; ``sheet_css`` turns a template into CSS classes,
either in ``mm`` (the PDF) or in container-query units (the on-screen preview, served as a
stylesheet because the app's CSP forbids inline styles); ``page_html`` writes one sheet.

Why text never overflows: every label line is set in a monospaced font, whose glyphs all
advance by the same width (0.600–0.602 em for DejaVu Sans Mono, Liberation Mono and
Courier). A line of *n* characters at size *s* is therefore at most ``n × CHAR_EM × s``
wide, and font sizes are chosen (long codes wrapped, other lines cut with "…") so that this
stays inside the text box; lines are stacked only while their heights fit. The text box
also clips (``overflow: hidden``) as a second line of defence.

Speed (see bench/labels.py and docs/decisions.md): text boxes are absolutely positioned
(a grid/flex sheet lays out ~3× slower in WeasyPrint), a label is two paragraphs and no
wrapper boxes, and the QR codes of a sheet are one SVG ``<path>`` over the whole page:
finder and alignment patterns as square outlines, timing patterns as dashed lines, the
rest covered by as few horizontal and vertical strokes as a greedy pass finds. WeasyPrint
spends ~20 µs per path segment, so segments, not bytes, are what a label costs. Large
jobs also use a second core: helper processes render stretches of pages that pypdf joins.
"""

from __future__ import annotations

import html
import importlib.util
import io
import logging
import math
import multiprocessing
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import segno

from .templates import SheetTemplate

log = logging.getLogger(__name__)

# WeasyPrint narrates every step at INFO: seven lines per sheet in the app log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PT_MM = 25.4 / 72
CHAR_EM = 0.61  # advance of one monospaced glyph in em, with 1 % to spare
LINE = 1.15  # line height in em
PAD_MM = 1.5  # blank edge inside each cell (also part of the QR code's quiet zone)
GAP_MM = 1.2  # between QR code and text
QR_BORDER = 2  # modules of quiet zone inside the QR box (plus PAD_MM around it)
# A fixed mask pattern: choosing the best of eight by the ISO 18004 penalty score costs
# segno ~4 ms per code (4 s per 1,000 labels) and buys nothing measurable here: every
# decoder reads any mask, and the tests decode every printed code. Pattern 1 (alternate
# rows) needs the fewest strokes below (~222 per version-4 code against 230–240).
QR_MASK = 1
FS_STEP = 4  # font sizes in quarter points: class lbl-fs-<quarter points>
CODE_MAX_PT = 20.0
CODE_READABLE_PT = 9.0  # a one-line code at least this big is never wrapped
CODE_MIN_PT = 4.0
LINE_MAX_PT = 8.0
LINE_MIN_PT = 5.0
MAX_CODE_LINES = 6
PARALLEL_MIN_CHUNKS = 3  # below this, starting a helper process costs more than it saves
FONT_STACK = '"DejaVu Sans Mono", "Liberation Mono", "Courier New", monospace'
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


# QR codes --------------------------------------------------------------------------------

def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The modules (1 = dark) of the smallest QR code for ``url``; segno raises the error
    correction above L whenever that fits in the same version."""
    return segno.make_qr(url, error="l", boost_error=True, mask=QR_MASK).matrix


# Alignment pattern centres (ISO/IEC 18004 Annex E) for the versions label URLs reach;
# larger versions simply get no shortcut for them.
ALIGNMENT = {2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34), 7: (6, 22, 38),
             8: (6, 24, 42), 9: (6, 26, 46), 10: (6, 28, 50)}


@dataclass(slots=True)
class QrShapes:
    """A QR code as strokes, in modules. ``lines``: (x, y, length, vertical), 1 module
    wide; ``rings``: (x, y, side) squares outlined 1 module wide (finder and alignment
    frames); ``dots3``: (x, y) 3×3 squares (finder centres); ``timing``: the two dotted
    timing lines as (x, y, length, vertical), drawn with a 1-on-1-off dash."""

    lines: list[tuple[int, int, int, bool]]
    rings: list[tuple[int, int, int]]
    dots3: list[tuple[int, int]]
    timing: list[tuple[int, int, int, bool]]


def _square(rows, x: int, y: int, side: int) -> bool:
    """True when the side×side square at (x, y) is a dark frame, a light frame and a dark
    centre (3×3 in a finder, one module in an alignment pattern)."""
    for j in range(side):
        for i in range(side):
            ring = min(i, j, side - 1 - i, side - 1 - j)
            if rows[y + j][x + i] != (ring != 1):
                return False
    return True


def qr_shapes(matrix: Sequence[bytes | bytearray]) -> QrShapes:
    """The fixed patterns as whole shapes, the rest covered by few 1-module strokes.

    Horizontal runs cover every remaining module; a vertical run replaces modules that
    are alone in their row wherever that saves a stroke. Each shape is checked against the
    matrix before it is used, so a surprise in the matrix only costs speed, never a module.
    """
    n = len(matrix)
    rows = [bytes(r) for r in matrix]
    taken = [bytearray(n) for _ in range(n)]
    rings, dots3, timing = [], [], []

    def claim(x: int, y: int, w: int, h: int) -> None:
        for j in range(y, y + h):
            taken[j][x:x + w] = b"\x01" * w

    for fx, fy in ((0, 0), (n - 7, 0), (0, n - 7)):
        if _square(rows, fx, fy, 7):
            rings.append((fx, fy, 7))
            dots3.append((fx + 2, fy + 2))
            claim(fx, fy, 7, 7)
    version = (n - 17) // 4
    centres = ALIGNMENT.get(version, ())
    for cy in centres:
        for cx in centres:
            x, y = cx - 2, cy - 2
            if min(cx, cy) == 6 and max(cx, cy) in (6, centres[-1]):
                continue  # these positions are taken by finder patterns
            if _square(rows, x, y, 5):
                rings.append((x, y, 5))
                claim(x, y, 5, 5)
                taken[cy][cx] = 0  # the centre module is left to the strokes
    span = range(8, n - 8)
    if all(rows[6][i] == (i % 2 == 0) for i in span) and not any(taken[6][8:n - 8]):
        timing.append((8, 6, n - 16, False))
        claim(8, 6, n - 16, 1)
    if all(rows[i][6] == (i % 2 == 0) for i in span) and not any(taken[i][6] for i in span):
        timing.append((6, 8, n - 16, True))
        claim(6, 8, 1, n - 16)
    for j in range(n):  # what the shapes drew is no longer to be covered
        if any(taken[j]):
            rows[j] = bytes(v & (1 - t) for v, t in zip(rows[j], taken[j], strict=True))

    runs: list[list[tuple[int, int]]] = []
    alone = [bytearray(n) for _ in range(n)]  # dark and alone in its row
    for y, row in enumerate(rows):
        row_runs = []
        x = row.find(1)
        while x != -1:
            end = row.find(0, x)
            if end == -1:
                end = n
            row_runs.append((x, end))
            if end - x == 1:
                alone[y][x] = 1
            x = row.find(1, end)
        runs.append(row_runs)
    covered = [bytearray(n) for _ in range(n)]
    lines: list[tuple[int, int, int, bool]] = []
    for x, col in enumerate(zip(*rows, strict=True)):
        col = bytes(col)
        y = col.find(1)
        while y != -1:
            end = col.find(0, y)
            if end == -1:
                end = n
            if end - y > 1 and sum(alone[k][x] for k in range(y, end)) >= 2:
                lines.append((x, y, end - y, True))
                for k in range(y, end):
                    covered[k][x] = 1
            y = col.find(1, end)
    for y, row_runs in enumerate(runs):
        cov = covered[y]
        for a, b in row_runs:
            while a < b and cov[a]:
                a += 1
            while b > a and cov[b - 1]:
                b -= 1
            if a < b:
                lines.append((a, y, b - a, False))
    return QrShapes(lines, rings, dots3, timing)


def _seg(left: float, top: float, m: float, x: float, y: float, length: int,
         vertical: bool) -> str:
    if vertical:
        return f"M{left + (x + .5) * m:.3f} {top + y * m:.3f}v{length * m:.3f}"
    return f"M{left + x * m:.3f} {top + (y + .5) * m:.3f}h{length * m:.3f}"


def qr_path_data(matrix, left: float, top: float, module: float) -> tuple[str, str, str]:
    """Path data for one QR code at (left, top) mm: (1-module strokes and frames,
    3-module strokes, dashed timing lines). Stroke widths are ``module`` and 3 × that."""
    m = module
    shapes = qr_shapes(matrix)
    thin = [_seg(left, top, m, x, y, length, vertical)
            for x, y, length, vertical in shapes.lines]
    thin.extend(f"M{left + (x + .5) * m:.3f} {top + (y + .5) * m:.3f}"
                f"h{(side - 1) * m:.3f}v{(side - 1) * m:.3f}h{-(side - 1) * m:.3f}z"
                for x, y, side in shapes.rings)
    thick = "".join(f"M{left + x * m:.3f} {top + (y + 1.5) * m:.3f}h{3 * m:.3f}"
                    for x, y in shapes.dots3)
    dashed = "".join(_seg(left, top, m, x, y, length, vertical)
                     for x, y, length, vertical in shapes.timing)
    return "".join(thin), thick, dashed


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def sheet_css(template: SheetTemplate, *, screen: bool = False, scope: str = "") -> str:
    """Classes for one template. Print: lengths in mm. Screen: the sheet fills its
    container (``container-type: inline-size``) and every length is in ``cqw``."""
    pw, ph = template.page_width_mm, template.page_height_mm
    if screen:
        k = 100.0 / pw

        def u(mm: float) -> str:
            return f"{_num(mm * k)}cqw"
    else:
        def u(mm: float) -> str:
            return f"{_num(mm)}mm"
    s = f"{scope} " if scope else ""
    b = cell_boxes(template)
    h = template.label_height_mm
    rules = []
    if not screen:
        rules.append(f"@page {{ size: {_num(pw)}mm {_num(ph)}mm; margin: 0 }}")
        rules.append("html, body { margin: 0; padding: 0 }")
        rules.append(".lbl-sheet + .lbl-sheet { break-before: page }")
    rules.append(f"{s}.lbl-sheet {{ position: relative; width: {u(pw)}; height: {u(ph)}; "
                 f"overflow: hidden; background: #fff; color: #000; font-family: {FONT_STACK};"
                 " font-weight: normal; font-style: normal; letter-spacing: 0; "
                 "word-spacing: 0; text-align: left }")
    rules.append(f"{s}.lbl-qrs {{ position: absolute; left: 0; top: 0; width: {u(pw)}; "
                 f"height: {u(ph)} }}")
    rules.append(f"{s}.lbl-cell {{ position: absolute; width: {u(template.label_width_mm)}; "
                 f"height: {u(h)} }}")
    # .lbl-k: the code, from the top of the text box; .lbl-i: the other lines, from its
    # bottom. layout_label() keeps their heights within the box, so they never meet.
    rules.append(f"{s}.lbl-k, {s}.lbl-i {{ position: absolute; margin: 0; padding: 0; "
                 f"width: {u(b.text_width)}; max-height: {u(b.text_height)}; "
                 f"overflow: hidden; white-space: pre; line-height: {LINE} }}")
    rules.append(f"{s}.lbl-k {{ font-weight: bold }}")
    rules.append(f"{s}.lbl-k.lbl-plain, {s}.lbl-i.lbl-plain {{ width: {u(b.plain_width)} }}")
    for i in range(template.cells_per_page):
        x, y = template.cell_origin(i)
        bottom = ph - (y + b.text_top + b.text_height)
        rules.append(f"{s}.lbl-c{i} {{ left: {u(x)}; top: {u(y)} }}")
        rules.append(f"{s}.lbl-k{i} {{ left: {u(x + b.text_left)}; top: {u(y + b.text_top)} }}")
        rules.append(f"{s}.lbl-i{i} {{ left: {u(x + b.text_left)}; bottom: {u(bottom)} }}")
        rules.append(f"{s}.lbl-plain.lbl-k{i} {{ left: {u(x + b.plain_left)} }}")
        rules.append(f"{s}.lbl-plain.lbl-i{i} {{ left: {u(x + b.plain_left)} }}")
    for q in range(int(CODE_MIN_PT * FS_STEP), int(CODE_MAX_PT * FS_STEP) + 1):
        size = u(q / FS_STEP * PT_MM) if screen else f"{_num(q / FS_STEP)}pt"
        rules.append(f"{s}.lbl-fs-{q} {{ font-size: {size} }}")
    return "\n".join(rules) + "\n"


def _text_html(index: int, lines: list[TextLine], has_qr: bool) -> str:
    plain = "" if has_qr else " lbl-plain"
    code = [line for line in lines if line.bold]
    rest = [line for line in lines if not line.bold]
    out = (f'<p class="lbl-k lbl-k{index}{plain} lbl-fs-{code[0].quarter_pt}">'
           f'{html.escape(chr(10).join(line.text for line in code))}</p>')
    if rest:
        out += (f'<p class="lbl-i lbl-i{index}{plain} lbl-fs-{rest[0].quarter_pt}">'
                f'{html.escape(chr(10).join(line.text for line in rest))}</p>')
    return out


def place(template: SheetTemplate, labels: Sequence[LabelContent],
          start: int = 1) -> list[list[tuple[int, LabelContent]]]:
    """Pages of (cell index, label); the first page begins at cell ``start`` (1-based)."""
    per_page = template.cells_per_page
    pages: list[list[tuple[int, LabelContent]]] = []
    slot = start - 1
    for label in labels:
        page, cell = divmod(slot, per_page)
        while page >= len(pages):
            pages.append([])
        pages[page].append((cell, label))
        slot += 1
    return pages


def page_html(template: SheetTemplate, cells: Iterable[tuple[int, LabelContent]], *,
              outline: bool = False, sheet_class: str = "") -> str:
    """One sheet: two paragraphs per label (the code; the other lines) and one SVG
    holding every QR code of the sheet.

    ``outline`` adds an empty box per cell (the on-screen preview draws the grid)."""
    boxes = cell_boxes(template)
    cells = list(cells)
    texts: list[str] = []
    paths: dict[float, tuple[list[str], list[str], list[str]]] = {}
    for index, content in cells:
        texts.append(_text_html(index, layout_label(template, content, boxes),
                                bool(content.qr_url)))
        if content.qr_url:
            matrix = qr_matrix(content.qr_url)
            module = boxes.qr_side / (len(matrix) + 2 * QR_BORDER)
            x, y = template.cell_origin(index)
            data = qr_path_data(matrix, x + boxes.qr_left + QR_BORDER * module,
                                y + boxes.qr_top + QR_BORDER * module, module)
            for bucket, part in zip(paths.setdefault(module, ([], [], [])), data, strict=True):
                bucket.append(part)
    out = [f'<div class="lbl-sheet{(" " + sheet_class) if sheet_class else ""}">']
    if outline:
        used = {index for index, _ in cells}
        out.extend(f'<div class="lbl-cell lbl-c{i}{" lbl-used" if i in used else ""}"></div>'
                   for i in range(template.cells_per_page))
    if paths:
        pw, ph = _num(template.page_width_mm), _num(template.page_height_mm)
        out.append(f'<svg class="lbl-qrs" viewBox="0 0 {pw} {ph}" aria-hidden="true" '
                   'xmlns="http://www.w3.org/2000/svg">')
        # Butt caps and miter joins: every stroke ends exactly on module edges.
        for module, (thin, thick, dashed) in paths.items():
            m = _num(module)
            out.append(f'<path fill="none" stroke="#000" stroke-width="{m}" '
                       f'd="{"".join(thin)}"/>')
            if any(thick):
                out.append(f'<path fill="none" stroke="#000" stroke-width="{_num(3 * module)}"'
                           f' d="{"".join(thick)}"/>')
            if any(dashed):
                out.append(f'<path fill="none" stroke="#000" stroke-width="{m}" '
                           f'stroke-dasharray="{m} {m}" d="{"".join(dashed)}"/>')
        out.append("</svg>")
    out.extend(texts)
    out.append("</div>")
    return "".join(out)


def document_html(template: SheetTemplate, pages: Sequence[Sequence[tuple[int, LabelContent]]],
                  title: str = "Labels", *, inline_css: bool = True) -> str:
    body = "".join(page_html(template, cells) for cells in pages)
    style = f"<style>{sheet_css(template)}</style>" if inline_css else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>{style}</head><body>{body}</body></html>")


_process_cache: dict = {}  # per process: one font configuration, parsed sheet stylesheets


def _weasy(template: SheetTemplate):
    """(FontConfiguration, CSS) shared by every stretch this process renders."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = _process_cache.get("fonts")
    if fonts is None:
        fonts = _process_cache["fonts"] = FontConfiguration()
    css = _process_cache.get(template)
    if css is None:
        if len(_process_cache) > 32:
            _process_cache.clear()
            _process_cache["fonts"] = fonts
        css = _process_cache[template] = CSS(string=sheet_css(template), font_config=fonts)
    return fonts, css


def _render_pages(template: SheetTemplate, pages, title: str):
    from weasyprint import HTML

    fonts, css = _weasy(template)
    return HTML(string=document_html(template, pages, title, inline_css=False)).render(
        stylesheets=[css], font_config=fonts)


def _render_part(template: SheetTemplate, pages, title: str) -> bytes:
    """One stretch of pages as a PDF of its own (runs in a helper process)."""
    return _render_pages(template, pages, title).write_pdf()


def _warm_up() -> None:
    """A helper process imports WeasyPrint and loads fonts before its first stretch."""
    from weasyprint.text.fonts import FontConfiguration

    _process_cache.setdefault("fonts", FontConfiguration())


_helpers_lock = threading.Lock()
_helpers: dict = {}


def helper_pool(count: int) -> ProcessPoolExecutor:
    """Helper processes, started once and kept: a new one costs ~1 s of imports. Spawned,
    never forked: forking a threaded web worker can deadlock the child."""
    with _helpers_lock:
        pool = _helpers.get("pool")
        if pool is None or _helpers.get("size") != count or getattr(pool, "_broken", False):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            pool = ProcessPoolExecutor(max_workers=count, initializer=_warm_up,
                                       mp_context=multiprocessing.get_context("spawn"))
            _helpers.update(pool=pool, size=count)
        return pool


def _merge(parts: Sequence[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def warm_helpers(workers: int) -> None:
    """Start the helper processes ahead of a large print (the labels page calls this), so
    the first PDF does not wait ~1 s for their imports."""
    if workers > 1 and can_render_in_parallel():
        try:
            helper_pool(workers - 1).submit(_warm_up)
        except (OSError, RuntimeError, BrokenProcessPool):
            log.warning("label helper processes could not start; printing uses one process",
                        exc_info=True)


def can_render_in_parallel() -> bool:
    return importlib.util.find_spec("pypdf") is not None


def render_pdf(template: SheetTemplate, labels: Sequence[LabelContent], *, start: int = 1,
               title: str = "Labels", progress: Callable[[int], None] | None = None,
               workers: int = 1, chunk_pages: int = 4) -> bytes:
    """The PDF of ``labels`` from cell ``start``.

    Pages are laid out ``chunk_pages`` at a time and ``progress(labels done)`` is called
    after each stretch. With ``workers`` > 1 (and pypdf installed to join the parts), this
    process and ``workers - 1`` helper processes take stretches from opposite ends of the
    job, then the parts are joined: WeasyPrint is single-threaded Python, so a second core
    only helps from a second process."""
    pages = place(template, labels, start) or [[]]
    chunks = [pages[i:i + chunk_pages] for i in range(0, len(pages), chunk_pages)]
    counts = [sum(len(p) for p in chunk) for chunk in chunks]
    if workers > 1 and len(chunks) >= PARALLEL_MIN_CHUNKS and can_render_in_parallel():
        try:
            return _render_parallel(template, chunks, counts, title, progress, workers)
        except (OSError, RuntimeError, BrokenProcessPool):
            # Helpers are a speed-up, never a requirement: render here instead.
            log.warning("parallel label rendering failed; rendering in one process",
                        exc_info=True)
    documents = []
    done = 0
    for chunk, count in zip(chunks, counts, strict=True):
        documents.append(_render_pages(template, chunk, title))
        done += count
        if progress is not None:
            progress(done)
    document = documents[0]
    if len(documents) > 1:
        document = document.copy([p for doc in documents for p in doc.pages])
    return document.write_pdf()


def _render_parallel(template, chunks, counts, title, progress, workers) -> bytes:
    """This process takes stretches from the front, each helper from the back; a helper
    is handed its next stretch only when it finishes one, so nobody waits on a queue."""
    parts: list[bytes | None] = [None] * len(chunks)
    lock = threading.Lock()
    bounds = {"front": 0, "back": len(chunks)}  # stretches [front, back) are unclaimed
    helper_futures: list = []

    def claim_back() -> int | None:
        with lock:
            if bounds["back"] - 1 <= bounds["front"]:
                return None
            bounds["back"] -= 1
            return bounds["back"]

    def claim_front() -> int | None:
        with lock:
            if bounds["front"] >= bounds["back"]:
                return None
            bounds["front"] += 1
            return bounds["front"] - 1

    def hand_out(pool) -> None:
        index = claim_back()
        if index is None:
            return
        future = pool.submit(_render_part, template, chunks[index], title)

        def finished(f, index=index):
            if f.exception() is None:
                parts[index] = f.result()
                hand_out(pool)

        future.add_done_callback(finished)
        with lock:
            helper_futures.append(future)

    def report() -> None:
        if progress is not None:
            progress(sum(c for c, part in zip(counts, parts, strict=True) if part is not None))

    pool = helper_pool(workers - 1)
    for _ in range(workers - 1):
        hand_out(pool)
    while (index := claim_front()) is not None:
        parts[index] = _render_part(template, chunks[index], title)
        report()
    while True:
        with lock:
            pending = [f for f in helper_futures if not f.done()]
        if not pending:
            break
        wait(pending, return_when=FIRST_COMPLETED)
        report()
    for future in helper_futures:
        future.result()  # re-raise a helper's error here
    return _merge(parts)
