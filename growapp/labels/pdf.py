"""Label PDFs with WeasyPrint, on one core or two.

Pages are laid out a few at a time (progress is reported after each stretch). Large jobs
also use a second core: helper processes render stretches of pages that pypdf joins —
WeasyPrint is single-threaded Python, so a second core only helps from a second process.
See bench/labels.py and docs/decisions.md for the figures.
"""

from __future__ import annotations

import atexit
import importlib.util
import io
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .fitting import LabelContent
from .sheet import document_html, place, sheet_css
from .templates import SheetTemplate

log = logging.getLogger(__name__)

# WeasyPrint narrates every step at INFO: seven lines per sheet in the app log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PARALLEL_MIN_CHUNKS = 3  # below this, starting a helper process costs more than it saves


_process_cache: dict = {}  # per process: one font configuration, parsed sheet stylesheets


def _weasy(template: SheetTemplate):
    """(FontConfiguration, CSS) shared by every stretch this process renders."""
    from weasyprint import CSS

    fonts = _process_cache.get("fonts")
    if fonts is None:
        _warm_up()
        fonts = _process_cache["fonts"]
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
    """A helper process imports WeasyPrint and loads fonts before its first stretch. The
    cache is emptied at exit while WeasyPrint is still whole (dropped later, during the
    interpreter's teardown, FontConfiguration.__del__ prints a TypeError)."""
    from weasyprint.text.fonts import FontConfiguration

    if "fonts" not in _process_cache:
        atexit.register(_process_cache.clear)
        _process_cache["fonts"] = FontConfiguration()


class KeptPool:
    """Spawned processes that render labels, started on first use and kept (a new one costs
    ~1 s of imports), replaced when broken or when more are asked for. Spawned, never
    forked: forking a threaded web worker can deadlock the child."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0

    def get(self, size: int) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._pool
            if pool is None or getattr(pool, "_broken", False) or self._size < size:
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=size, initializer=_warm_up,
                                           mp_context=multiprocessing.get_context("spawn"))
                self._pool, self._size = pool, size
            return pool

    def forget(self, pool: ProcessPoolExecutor) -> None:
        """Drop ``pool`` (its processes killed by the caller): the next get() starts anew."""
        with self._lock:
            if self._pool is pool:
                self._pool, self._size = None, 0


_helpers = KeptPool()


def helper_pool(count: int) -> ProcessPoolExecutor:
    """The helper processes that render stretches of a large job's pages."""
    return _helpers.get(count)


def _merge(parts: Sequence[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
