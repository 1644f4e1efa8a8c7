"""The one write path for pages.

``page_write`` validates the form (when there is one), runs the service call inside the
form's idempotency key (when it carries one), commits once, and answers:

- success: ``done(result)`` — usually ``respond(...)``: the refreshed fragment for htmx, a
  flash and a 303 redirect for a plain form post;
- a ``DomainError``: the transaction is rolled back, a form gets the error's field
  messages (or its sentence at the top), and ``problem(exc)`` is answered with the error's
  own status (422 Invalid, 409 Conflict, 403 Forbidden, 404 NotFound…). Without a
  ``problem`` renderer the app's error handler answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, flash, make_response, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ..extensions import db
from ..http.htmx import wants_fragment
from ..http.idempotency import form_key, run_idempotent
from ..services.errors import DomainError, Invalid
from .forms import form_errors, merge_errors

T = TypeVar("T")
FROM_FORM: Any = object()  # the default key: the form's hidden idempotency_key field


def page_write(action: Callable[[], T], *, done: Callable[[T], ResponseReturnValue],
               problem: Callable[[DomainError], ResponseReturnValue] | None = None,
               form: FlaskForm | None = None, key: str | None = FROM_FORM,
               dry_run: bool = False, commit_on_error: bool = False) -> Response:
    """Run one page write in one transaction. See the module docstring.

    ``dry_run``: a preview — the same checks and answer, then everything is rolled back.
    ``commit_on_error``: what the service wrote before refusing is kept (a failed sign-in
    is recorded because the rate limit counts it).
    """
    session = db.session
    if form is not None and not form.validate():
        return _problem(problem, Invalid(errors=form_errors(form)))
    try:
        resp = run_idempotent(form_key() if key is FROM_FORM else key,
                              lambda: make_response(done(action())))
    except DomainError as exc:
        if commit_on_error:
            session.commit()
        else:
            session.rollback()
        if form is not None:
            merge_errors(form, exc)
        if problem is None:
            raise
        return _problem(problem, exc)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return resp


def _problem(problem, exc: DomainError) -> Response:
    if problem is None:
        raise exc
    resp = make_response(problem(exc))
    resp.status_code = exc.status
    return resp


def respond(*, fragment: str | None, redirect_to: str, flash_message: str | None = None,
            category: str = "success", page: Callable[[], dict] | None = None,
            **context) -> ResponseReturnValue:
    """After a write: ``fragment`` rendered with ``context`` (htmx), else a flash and a 303.
    ``page``: more context, read only when the fragment is rendered (a plain form post is
    answered by a redirect and the next page reads it anyway)."""
    if fragment is not None and wants_fragment():
        return render_template(fragment, **(page() if page else {}), **context)
    if flash_message:
        flash(flash_message, category)
    return redirect(redirect_to, code=303)
