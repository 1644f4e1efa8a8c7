"""Your profile: password and personal API tokens (viewers too)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...http.access import viewer_may_write
from ...http.htmx import render
from ...models import ApiToken
from ...services import users as user_service
from ...services.errors import Invalid
from ..forms import merge_errors
from . import bp
from .forms import PasswordForm, TokenForm


def _context(**extra):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())).all()
    ctx = {"tokens": tokens, "token_form": TokenForm(), "password_form": PasswordForm()}
    ctx.update(extra)
    return ctx


@bp.get("")
def show():
    return render_template("profile/show.html", **_context())


@bp.post("/tokens")
@viewer_may_write
def create_token():
    form = TokenForm()
    session = db.session
    if not form.validate():
        return render("profile/show.html", "profile/_tokens.html", status=422,
                      **_context(token_form=form))
    token, raw = user_service.create_api_token(session, user=current_user, name=form.name.data)
    session.commit()
    return render("profile/show.html", "profile/_tokens.html", status=201,
                  **_context(new_token=raw, new_token_name=token.name))


@bp.post("/tokens/<int:token_id>/revoke")
@viewer_may_write
def revoke_token(token_id: int):
    session = db.session
    token = user_service.revoke_api_token(session, token_id=token_id, user=current_user)
    session.commit()
    flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("profile.show"), code=303)


@bp.post("/password")
@viewer_may_write
def change_password():
    form = PasswordForm()
    session = db.session
    status = 422
    if form.validate():
        try:
            user_service.change_password(session, user=current_user,
                                         current=form.current_password.data,
                                         new=form.password.data, confirm=form.confirm.data)
        except Invalid as exc:
            session.rollback()
            merge_errors(form, exc)
        else:
            session.commit()
            flash("Password changed.", "success")
            return redirect(url_for("profile.show"), code=303)
    return render_template("profile/show.html", **_context(password_form=form)), status


