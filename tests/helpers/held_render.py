"""A label render that keeps busy until the test lets it go (for the render-process tests).

``held_render`` stands in for ``growapp.labels.pdf.render_pdf``. It is a module-level
function, so a spawned render process imports it by name. It writes its pid to
``gate(test pid)/started``, spins on the CPU (holding its interpreter's GIL, as WeasyPrint
does) until ``release`` appears there, then renders for real. The gate folder is named
after the test process — the render process's parent, or this process itself when the
render runs in-process — so no environment has to reach an already running pool.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path

HOLD_AT_MOST = 60.0  # seconds: a forgotten gate never spins for ever


def gate(test_pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"growapp-held-render-{test_pid}"


def fresh_gate() -> Path:
    folder = gate(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def held_render(*args, **kwargs) -> bytes:
    from growapp.labels.pdf import render_pdf

    parent = multiprocessing.parent_process()
    folder = gate(parent.pid if parent is not None else os.getpid())
    (folder / "started").write_text(str(os.getpid()))
    deadline = time.monotonic() + HOLD_AT_MOST
    while not (folder / "release").exists() and time.monotonic() < deadline:
        sum(range(200_000))  # CPU work that holds the GIL for a few ms at a time
    return render_pdf(*args, **kwargs)


def wait_for_start(folder: Path, timeout: float = 60.0) -> int:
    """The render's pid once it has started (it may first wait for its process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int((folder / "started").read_text())
        except (FileNotFoundError, ValueError):
            time.sleep(0.05)
    raise AssertionError("the render never started")
