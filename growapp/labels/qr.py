"""QR codes for labels: the matrix (segno) and few SVG strokes that draw it.

WeasyPrint spends ~20 µs per path segment, so segments, not bytes, are what a label costs:
finder and alignment patterns are square outlines, timing patterns dashed lines, and the
rest is covered by as few horizontal and vertical strokes as a greedy pass finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import segno

QR_BORDER = 2  # modules of quiet zone inside the QR box (plus PAD_MM around it)
# A fixed mask pattern: choosing the best of eight by the ISO 18004 penalty score costs
# segno ~4 ms per code (4 s per 1,000 labels) and buys nothing measurable here: every
# decoder reads any mask, and the tests decode every printed code. Pattern 1 (alternate
# rows) needs the fewest strokes below (~222 per version-4 code against 230–240).
QR_MASK = 1


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
