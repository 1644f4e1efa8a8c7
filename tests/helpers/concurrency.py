"""Requests fired at the same moment: each call in its own thread, released by one barrier."""

from __future__ import annotations

import threading

TIMEOUT = 60  # seconds: a request that has not answered by then counts as hung


def storm(app, calls: list, timeout: float = TIMEOUT) -> list:
    """Run each call(client) in its own thread, all released at once; their answers."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    answers: list = [None] * len(calls)

    def run(i, call):
        client = app.test_client()
        barrier.wait()
        answers[i] = call(client)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return answers
