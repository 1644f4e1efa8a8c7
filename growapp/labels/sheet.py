"""One sheet as HTML and its CSS, shared by the PDF and the on-screen preview.

``sheet_css`` turns a template into CSS classes, either in ``mm`` (the PDF) or in
container-query units (the preview, served as a stylesheet because the app's CSP forbids
inline styles); ``page_html`` writes one sheet. Text boxes are absolutely positioned (a
grid/flex sheet lays out ~3× slower in WeasyPrint), a label is two paragraphs and no
wrapper boxes, and the QR codes of a sheet are one SVG ``<path>`` over the whole page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from .fitting import (
    CODE_MAX_PT,
    CODE_MIN_PT,
    FS_STEP,
    LINE,
    PT_MM,
    LabelContent,
    TextLine,
    cell_boxes,
    layout_label,
)
from .qr import QR_BORDER, qr_matrix, qr_path_data
from .templates import SheetTemplate

# The label font ships with the app (static/fonts, DejaVu licence beside it) and the PDF
# loads it from there, so a sheet looks the same on every server whatever fonts the
# system has. The preview (screen) names the family and falls back to what the phone has.
FONTS_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT_FAMILY = "growapp-label"
FONT_FILES = {"normal": "DejaVuSansMono.ttf", "bold": "DejaVuSansMono-Bold.ttf"}
FONT_STACK = (f'"{FONT_FAMILY}", "DejaVu Sans Mono", "Liberation Mono", "Courier New", '
              "monospace")


def font_faces() -> list[str]:
    """@font-face rules for the shipped font files (print only)."""
    return [f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
            f'font-style: normal; src: url("{(FONTS_DIR / name).as_uri()}") }}'
            for weight, name in FONT_FILES.items()]


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
        rules.extend(font_faces())
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


@lru_cache(maxsize=512)
def _qr_cell(url: str, left: float, top: float, side: float) -> tuple[float, tuple[str, str, str]]:
    """One label's QR code as path data in its box at (left, top), ``side`` mm wide, and
    its module size. Cached: the labels page draws the same first sheet on every change of
    a field (~2 ms per code in segno and the stroke pass); ~5 KB per entry."""
    matrix = qr_matrix(url)
    module = side / (len(matrix) + 2 * QR_BORDER)
    return module, qr_path_data(matrix, left + QR_BORDER * module, top + QR_BORDER * module,
                                module)


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
            x, y = template.cell_origin(index)
            module, data = _qr_cell(content.qr_url, x + boxes.qr_left, y + boxes.qr_top,
                                    boxes.qr_side)
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
