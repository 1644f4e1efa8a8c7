"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ..services.errors import Invalid


def merge_errors(form: FlaskForm, exc: Invalid) -> None:
    """Show a service's field messages on the form (unknown fields go to the form top)."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not exc.errors:
        form.form_errors.append(exc.detail)


def form_errors(form: FlaskForm) -> dict[str, list[str]]:
    return {name: list(msgs) for name, msgs in form.errors.items() if name != "csrf_token"}
