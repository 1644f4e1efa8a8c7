"""Label PDF analysis: rasterise pages, decode every QR code, read each cell's text."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp

DPI = 200
MM_PT = 72 / 25.4


@dataclass
class SheetScan:
    """One PDF page: the decoded QR URL per cell index, and the text in each cell."""

    urls: dict[int, str]
    texts: dict[int, str]
    undecoded: int


def _area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def cell_at(template, x_mm: float, y_mm: float) -> int | None:
    for index in range(template.cells_per_page):
        x, y = template.cell_origin(index)
        if x <= x_mm <= x + template.label_width_mm and y <= y_mm <= y + template.label_height_mm:
            return index
    return None


def cell_rect_pt(template, index: int, page_height_pt: float) -> tuple[float, ...]:
    """(left, bottom, right, top) in PDF points."""
    x, y = template.cell_origin(index)
    return (x * MM_PT, page_height_pt - (y + template.label_height_mm) * MM_PT,
            (x + template.label_width_mm) * MM_PT, page_height_pt - y * MM_PT)


def scan_pdf(pdf: bytes, template, dpi: int = DPI) -> list[SheetScan]:
    """Rasterise every page, decode every QR code, read every cell's text."""
    doc = pdfium.PdfDocument(pdf)
    pages = []
    for page in doc:
        _w, height_pt = page.get_size()
        image = page.render(scale=dpi / 72).to_pil()
        results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        urls: dict[int, str | None] = {}
        boxes: dict[int, tuple[float, float, float, float]] = {}
        for result in results:
            pos = result.position
            points = (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)
            cx = sum(p.x for p in points) / 4 / dpi * 25.4
            cy = sum(p.y for p in points) / 4 / dpi * 25.4
            box = (min(p.x for p in points), min(p.y for p in points),
                   max(p.x for p in points), max(p.y for p in points))
            index = cell_at(template, cx, cy)
            assert index is not None, f"QR code outside every cell at {cx:.1f},{cy:.1f} mm"
            if index in urls:
                # zxing-cpp 3.x sometimes reports one symbol twice (two finder-pattern
                # readings of the same code): the same text again is that symbol, and a
                # reading inside the other's square is that symbol misread (seen once:
                # '206' within a plant's code), the larger square being the symbol. A
                # different text beside it would be a real second code in the cell.
                if not result.valid or result.text == urls[index]:
                    continue
                if urls[index] is not None and _overlap(box, boxes[index]):
                    if _area(box) <= _area(boxes[index]):
                        continue
                else:
                    assert urls[index] is None, \
                        f"two QR codes in cell {index}: {urls[index]!r} and {result.text!r}"
            urls[index] = result.text if result.valid else None
            boxes[index] = box
        undecoded = sum(1 for text in urls.values() if text is None)
        textpage = page.get_textpage()
        texts = {}
        for index in range(template.cells_per_page):
            text = textpage.get_text_bounded(*cell_rect_pt(template, index, height_pt))
            if text.strip():
                texts[index] = text
        pages.append(SheetScan(urls, texts, undecoded))
    return pages


def char_boxes_outside_cells(pdf: bytes, template, tolerance_pt: float = 0.3) -> list[str]:
    """Every printed character must lie wholly inside the cell its centre falls in."""
    bad = []
    doc = pdfium.PdfDocument(pdf)
    for number, page in enumerate(doc, start=1):
        _w, height_pt = page.get_size()
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            cx_mm = (left + right) / 2 / MM_PT
            cy_mm = (height_pt - (bottom + top) / 2) / MM_PT
            index = cell_at(template, cx_mm, cy_mm)
            if index is None:
                bad.append(f"page {number}: {char!r} outside every cell")
                continue
            cl, cb, cr, ct = cell_rect_pt(template, index, height_pt)
            if (left < cl - tolerance_pt or right > cr + tolerance_pt
                    or bottom < cb - tolerance_pt or top > ct + tolerance_pt):
                bad.append(f"page {number} cell {index}: {char!r} overflows")
    return bad


def squash(text: str) -> str:
    return "".join(text.split())


def assert_qr_matches_code(scans: list[SheetScan], code_by_url: dict[str, str]) -> int:
    """Each decoded URL belongs to the code printed in the same cell. Returns the count."""
    seen = 0
    for scan in scans:
        assert scan.undecoded == 0
        for index, url in scan.urls.items():
            assert url in code_by_url, f"cell {index} decoded to an unexpected URL {url!r}"
            assert squash(code_by_url[url]) in squash(scan.texts.get(index, "")), \
                (index, url, scan.texts.get(index))
            seen += 1
    return seen
