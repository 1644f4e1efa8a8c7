"""Label PDFs for a request, rendered in another process.

A GET of a label sheet (up to 100 labels) waits for its PDF, but WeasyPrint's seconds of
CPU must not run in the web worker: there they hold its GIL, and every other request on
that worker (``/healthz`` included) queues behind them. So the request's thread hands the
render to a small pool of spawned processes and only waits (waiting frees the GIL); the
caller keeps its render slot (growapp.http.render_slots) meanwhile, which bounds renders
per server and per user.

A render process that dies (killed, out of memory) or takes longer than ``timeout``
becomes ``Unavailable`` (503 with Retry-After and a sentence), and the next render gets a
fresh pool. Spawned, never forked: forking a threaded web worker can deadlock the child.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from ..services.errors import Unavailable
from .pdf import KeptPool, _warm_up

log = logging.getLogger(__name__)

RENDER_TIMEOUT = 60.0  # seconds: a 100-label sheet takes about one
RETRY_AFTER = 3
FAILED = ("The label sheet could not be made: the process rendering it stopped. Try again "
          "in a few seconds.")
TOO_LONG = ("The label sheet took too long to make and was stopped. Try again in a few "
            "seconds, or start a label job, which waits its turn for you.")

_renderers = KeptPool()


def render_pool(size: int) -> ProcessPoolExecutor:
    """The render processes of this web worker (at least ``size`` of them)."""
    return _renderers.get(max(1, size))


def warm_renderers(size: int) -> None:
    """Start a render process ahead of a print (the labels page calls this)."""
    try:
        render_pool(size).submit(_warm_up)
    except (OSError, RuntimeError, BrokenProcessPool):
        log.warning("label render processes could not start", exc_info=True)


def _discard(pool: ProcessPoolExecutor) -> None:
    """Kill ``pool``'s processes (a render that will not finish) and forget the pool."""
    _renderers.forget(pool)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.kill()
    for process in processes:
        process.join(5)  # SIGKILL is not refused: this is a moment
    pool.shutdown(wait=False, cancel_futures=True)


def render_apart(render: Callable[..., bytes], *args, processes: int = 1,
                 timeout: float = RENDER_TIMEOUT, **kwargs) -> bytes:
    """``render(*args, **kwargs)`` in a render process (``processes`` of them at most in
    this web worker); its bytes. ``render`` must be importable by name (a module-level
    function). Raises Unavailable when the process dies or the render outlasts
    ``timeout``; the render's own errors are raised as they are."""
    for attempt in (1, 2):
        pool = render_pool(processes)
        try:
            future = pool.submit(render, *args, **kwargs)
            break
        except (BrokenProcessPool, RuntimeError):
            # broken between render_pool() and submit (another render's process died)
            if attempt == 2:
                log.exception("label render processes could not start")
                raise Unavailable(FAILED, retry_after=RETRY_AFTER) from None
        except OSError:
            log.exception("label render processes could not start")
            raise Unavailable(FAILED, retry_after=RETRY_AFTER) from None
    try:
        return future.result(timeout=timeout)
    except BrokenProcessPool:
        log.error("a label render process died mid-render; starting a fresh pool")
        raise Unavailable(FAILED, retry_after=RETRY_AFTER) from None
    except FutureTimeout:
        log.error("a label render took over %g s; its processes were stopped", timeout)
        _discard(pool)
        raise Unavailable(TOO_LONG, retry_after=RETRY_AFTER) from None
