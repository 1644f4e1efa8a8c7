"""Links the web and the API both show for what a service returns as data.

The cockpit's next actions carry a key and ids; the page and the API's ``url`` field are
built here, once, with ``url_for``. Feed and adverse point at the cockpit's own panels.
"""

from __future__ import annotations

from flask import url_for

from ..services.read.cockpit import NextAction


def next_action_url(action: NextAction) -> str:
    """Where a next action leads (a page path, or ``#feed`` / ``#adverse`` on the cockpit)."""
    exp = action.experiment_id
    match action.key:
        case "baseline" | "grade":
            return url_for("baseline.index", experiment_id=exp, plant=action.plant_uuid)
        case "place":
            return url_for("placement.index", experiment_id=exp)
        case "tray_recipe":
            return url_for("trays.index", experiment_id=exp)
        case "measure":
            return url_for("rounds.observe", experiment_id=exp, week=action.week,
                           plant=action.plant_uuid)
        case "feed" | "adverse":
            return f"#{action.key}"
    raise ValueError(f"No link for next action {action.key!r}")
