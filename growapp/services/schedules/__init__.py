"""Schedules: recurring work that is planned and then executed as a checklist.

``rules`` (the vocabulary and checks), ``manage`` (create, edit, delete, list),
``completion`` (marking occurrences, work logged that day) and ``plan`` (occurrences with
status and blockers). The public names are re-exported here for callers that use the
package as one service (``schedules.plan(...)``).
"""

from .completion import mark_occurrence
from .manage import (
    create_schedule,
    delete_schedule,
    get_schedule,
    list_schedules,
    schedule_summaries,
    update_schedule,
)
from .plan import due_today_count, plan
from .rules import (
    ACTION_LABELS,
    COMPLETION_STATUSES,
    MAX_INTERVAL,
    MAX_PLAN_DAYS,
    RULE_KINDS,
    SCOPE_TYPES,
    TIMEFRAME_LABELS,
    WEEKDAY_NAMES,
    describe_when,
    occurs_on,
)

__all__ = [
    "ACTION_LABELS", "COMPLETION_STATUSES", "MAX_INTERVAL", "MAX_PLAN_DAYS", "RULE_KINDS",
    "SCOPE_TYPES", "TIMEFRAME_LABELS", "WEEKDAY_NAMES", "create_schedule", "delete_schedule",
    "describe_when", "due_today_count", "get_schedule", "list_schedules", "mark_occurrence",
    "occurs_on", "plan", "schedule_summaries", "update_schedule",
]
