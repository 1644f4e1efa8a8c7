"""The metric template editor's form: one row of inputs per field (key, label, type, unit,
min, max, choices, required), a blank row to add one, remove ticks and move buttons.

Only the shape is read here; ``services.species.save_template`` validates every rule."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from ...services.species import SCORE_RANGE, SCORE_UNIT, is_score

# The editor's types: the service's, with "score" (int 1–5, tapped) offered on its own.
EDITOR_TYPES = (("int", "Integer"), ("float", "Decimal"),
                ("score", f"Score {SCORE_RANGE[0]}–{SCORE_RANGE[1]}"), ("choice", "Choice"),
                ("bool", "Yes / no"), ("text", "Text"))
MAX_ROWS = 60


def _number(text: str):
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text  # the service says "min and max must be numbers"
    return int(value) if value.is_integer() and "." not in text else value


def parse_rows(form: MultiDict) -> list[dict]:
    """Posted rows → template fields in order, without removed or blank rows; applies a
    ``move=<n>-up|down`` button."""
    rows = []
    for n in range(MAX_ROWS):
        p = f"f-{n}-"
        if p + "key" not in form:
            continue
        raw = {k: (form.get(p + k) or "").strip() for k in
               ("key", "label", "type", "unit", "min", "max", "choices")}
        if form.get(p + "remove") or not (raw["key"] or raw["label"]):
            continue
        field = {"key": raw["key"], "label": raw["label"], "type": raw["type"],
                 "unit": raw["unit"] or None, "min": _number(raw["min"]),
                 "max": _number(raw["max"]), "required": bool(form.get(p + "required")),
                 "choices": [c.strip() for c in raw["choices"].split(",") if c.strip()]
                 if raw["type"] == "choice" else None, "_row": n}
        if raw["type"] == "score":
            field.update(type="int", min=SCORE_RANGE[0], max=SCORE_RANGE[1],
                         unit=SCORE_UNIT)
        rows.append(field)
    move = (form.get("move") or "").split("-")
    if len(move) == 2 and move[0].isdigit():
        at = next((i for i, r in enumerate(rows) if r["_row"] == int(move[0])), None)
        to = None if at is None else at + (-1 if move[1] == "up" else 1)
        if to is not None and 0 <= to < len(rows):
            rows[at], rows[to] = rows[to], rows[at]
    for r in rows:
        del r["_row"]
    return rows


def editor_rows(fields: list[dict]) -> list[dict]:
    """Fields as the editor shows them: the editor type, choices joined; plus a blank row."""
    out = []
    for f in fields:
        score = is_score(f) and (f.get("min"), f.get("max")) == SCORE_RANGE
        out.append({**f, "editor_type": "score" if score else f.get("type"),
                    "choices_text": ", ".join(f.get("choices") or [])})
    out.append({"key": "", "label": "", "editor_type": "int", "unit": None, "min": None,
                "max": None, "choices_text": "", "required": False, "blank": True})
    return out
