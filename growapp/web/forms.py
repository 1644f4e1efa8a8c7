"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ..extensions import db
from ..services.errors import Conflict, DomainError, Invalid


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


def run_form(form: FlaskForm, action, *, on_success, rerender):
    """The one POST pattern for setup forms.

    validate → ``action()`` → commit → ``on_success(result)``; a shape error or a service
    Invalid re-renders with 422, a Conflict (e.g. the experiment is running) with 409 and
    its sentence at the top of the form. ``rerender(status)`` returns the response.
    """
    session = db.session
    if not form.validate():
        return rerender(422)
    try:
        result = action()
    except Invalid as exc:
        session.rollback()
        merge_errors(form, exc)
        return rerender(422)
    except Conflict as exc:
        session.rollback()
        form.form_errors.append(exc.detail)
        return rerender(409)
    session.commit()
    return on_success(result)


def int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
