"""Paging by whole groups (trays): the one rule the overview roster, the feeding queue and
the placement page share. A page starts at group ``at`` and takes whole groups until their
sizes reach the budget (at least one group), so a tray is never split across pages and
the next page's cursor is a group index."""

from __future__ import annotations

from collections.abc import Sequence


def take_whole(sizes: Sequence[int], at: int, budget: int | None) -> int:
    """The index after the last group of the page that begins at ``at`` (``budget`` None:
    every group)."""
    i, used = at, 0
    while i < len(sizes) and (budget is None or used < budget or i == at):
        used += sizes[i]
        i += 1
    return i
