"""Schedule rules: what (action), when (weekly days or every N days, a timeframe or a time)
and where (tents, trays or plants) — the vocabulary, the checks every write applies, and
whether a rule has an occurrence on a day."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from ...models import TIMEFRAMES, Plant, ScheduleRule, Tent, Tray, User
from ..errors import Forbidden

RULE_KINDS = ("weekly", "interval")
SCOPE_TYPES = ("tent", "tray", "plant")
COMPLETION_STATUSES = ("done", "skipped")
ACTION_LABELS = {"feed": "Feed", "rotate": "Rotate trays", "observe": "Observe / measure",
                 "photo": "Photos", "water": "Water", "custom": "Other"}
TIMEFRAME_LABELS = {"morning": "Morning", "afternoon": "Afternoon", "evening": "Evening"}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SCOPE_NOUNS = {"tent": ("tent", "tents"), "tray": ("tray", "trays"),
               "plant": ("plant", "plants")}
MAX_INTERVAL = 365
MAX_PLAN_DAYS = 62
MAX_ID = 2**31 - 1
TITLE_MAX = 120
NOTES_MAX = 5000
REASON_MAX = 500


def require_operator(actor: User) -> None:
    if actor is None or not actor.has_role("operator"):
        raise Forbidden("Viewers can look at schedules but not change them.")


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# Validation ------------------------------------------------------------------------------

def as_date(value, key: str, errors: dict, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            errors[key] = ["Choose a start date."]
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[key] = ["Enter a date as YYYY-MM-DD."]
        return None


def _as_time(value, errors: dict) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value)).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        errors["exact_time"] = ["Enter a time as HH:MM."]
        return None


def clean_text(fields: dict, errors: dict) -> dict:
    clean = {}
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title:
            errors["title"] = ["Give the schedule a title, e.g. “Feed R1 trays”."]
        elif len(title) > TITLE_MAX:
            errors["title"] = [f"Use at most {TITLE_MAX} characters."]
        clean["title"] = title
    if "notes" in fields:
        notes = fields["notes"] or ""
        if len(notes) > NOTES_MAX:
            errors["notes"] = [f"Use at most {NOTES_MAX:,} characters."]
        clean["notes"] = notes
    for key, value in clean.items():
        if "\x00" in value:  # PostgreSQL refuses NUL in text
            errors[key] = ["Remove the invisible control characters."]
    return clean


def clean_when(timeframe, exact_time, errors: dict) -> tuple[str | None, time | None]:
    timeframe = timeframe or None
    exact = _as_time(exact_time, errors)
    if timeframe is not None and timeframe not in TIMEFRAMES:
        errors["timeframe"] = ["Choose morning, afternoon or evening."]
    elif "exact_time" not in errors:
        if timeframe is None and exact is None:
            errors["timeframe"] = ["Choose morning, afternoon or evening, or an exact time."]
        elif timeframe is not None and exact is not None:
            errors["timeframe"] = ["Choose a timeframe or an exact time, not both."]
    return timeframe, exact


def _int_or_none(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def clean_rule(rule, errors: dict) -> dict:
    if not isinstance(rule, dict):
        errors["rule"] = ["Choose days of the week or every N days."]
        return {}
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        errors["rule.kind"] = ["Choose “weekly” (days of the week) or “interval” (every N days)."]
        return {}
    if kind == "weekly":
        raw = rule.get("weekdays") or []
        days = [_int_or_none(d) for d in (raw if isinstance(raw, list | tuple) else [raw])]
        if any(d is None or not 0 <= d <= 6 for d in days):
            errors["rule.weekdays"] = ["Days are 0 (Monday) to 6 (Sunday)."]
            return {}
        if not days:
            errors["rule.weekdays"] = ["Choose at least one day."]
            return {}
        return {"kind": "weekly", "weekdays": sorted(set(days)), "every_days": None}
    every = _int_or_none(rule.get("every_days"))
    if every is None or not 1 <= every <= MAX_INTERVAL:
        errors["rule.every_days"] = [f"Repeat every 1 to {MAX_INTERVAL} days."]
        return {}
    return {"kind": "interval", "weekdays": [], "every_days": every}


def clean_scope(session: Session, scope, experiment_id: int, errors: dict) -> dict:
    if not isinstance(scope, dict):
        errors["scope"] = ["Choose tents, trays or plants."]
        return {}
    kind = scope.get("type")
    if kind not in SCOPE_TYPES:
        errors["scope.type"] = ["Choose tents, trays or plants."]
        return {}
    raw = scope.get("ids") or []
    raw_list = list(raw) if isinstance(raw, list | tuple) else [raw]
    ids = [_int_or_none(i) for i in raw_list]
    one, many = SCOPE_NOUNS[kind]
    if not ids:
        errors["scope.ids"] = [f"Choose at least one {one}."]
        return {}
    wanted = {i for i in ids if i is not None and 1 <= i <= MAX_ID}
    found: dict[int, tuple[str, str]] = {}
    if wanted:
        if kind == "plant":
            stmt = select(Plant.id, Plant.plant_code, Plant.status).where(
                Plant.id.in_(wanted), Plant.experiment_id == experiment_id)
        else:
            model = Tent if kind == "tent" else Tray
            stmt = select(model.id, model.code, literal("active")).where(
                model.id.in_(wanted), model.experiment_id == experiment_id)
        found = {i: (code, status) for i, code, status in session.execute(stmt)}
    missing = sorted({str(r) for r, i in zip(raw_list, ids, strict=True) if i not in found},
                     key=lambda s: (len(s), s))
    messages = []
    if missing:
        messages.append(f"Not {many} of this experiment: {', '.join(missing)}.")
    if kind == "plant":
        removed = sorted(code for code, status in found.values() if status != "active")
        if removed:
            messages.append(f"Removed plants cannot be scheduled: {', '.join(removed)}.")
    if messages:
        errors["scope.ids"] = messages
        return {}
    return {"type": kind, "ids": sorted(found)}



def occurs_on(rule: ScheduleRule, day: date) -> bool:
    """Whether ``rule`` has an occurrence on ``day``."""
    if day < rule.start_date or (rule.end_date is not None and day > rule.end_date):
        return False
    if rule.kind == "weekly":
        return day.weekday() in (rule.weekdays or [])
    return (day - rule.start_date).days % (rule.every_days or 1) == 0



def describe_when(rule: ScheduleRule, timeframe: str | None, exact_time: time | None) -> str:
    """'Mon, Wed, Fri · morning', 'Every day · 09:30', 'Every 3 days · evening'."""
    if rule.kind == "weekly":
        days = list(rule.weekdays or [])
        if days == list(range(7)):
            when = "Every day"
        elif days == list(range(5)):
            when = "Weekdays"
        else:
            when = ", ".join(WEEKDAY_NAMES[d] for d in days)
    else:
        when = "Every day" if rule.every_days == 1 else f"Every {rule.every_days} days"
    at = exact_time.strftime("%H:%M") if exact_time else (timeframe or "")
    return f"{when} · {at}" if at else when

