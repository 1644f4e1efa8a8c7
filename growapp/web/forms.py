"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ..services.errors import DomainError


def merge_errors(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's field messages on the form (unknown fields, and the sentence of an
    error without fields, go to the form top)."""
    errors = getattr(exc, "errors", {})
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not errors:
        form.form_errors.append(exc.detail)


def form_errors(form: FlaskForm) -> dict[str, list[str]]:
    return {name: list(msgs) for name, msgs in form.errors.items() if name != "csrf_token"}


def int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
