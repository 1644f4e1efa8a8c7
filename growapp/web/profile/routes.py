"""Your profile: password and personal API tokens (viewers too)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...http.access import viewer_may_write
from ...http.htmx import render
from ...models import ApiToken
from ...services import users as user_service
from ..writes import page_write, respond
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
    return page_write(lambda: user_service.create_api_token(
        db.session, user=current_user, name=form.name.data), form=form,
        done=lambda created: render("profile/show.html", "profile/_tokens.html", status=201,
                                    **_context(new_token=created[1],
                                               new_token_name=created[0].name)),
        problem=lambda _exc: render("profile/show.html", "profile/_tokens.html",
                                    **_context(token_form=form)))


@bp.post("/tokens/<int:token_id>/revoke")
@viewer_may_write
def revoke_token(token_id: int):
    return page_write(lambda: user_service.revoke_api_token(
        db.session, token_id=token_id, user=current_user), done=lambda token: respond(
        fragment=None, redirect_to=url_for("profile.show"), category="info",
        flash_message=f"Token “{token.name}” revoked."))


@bp.post("/password")
@viewer_may_write
def change_password():
    form = PasswordForm()
    return page_write(lambda: user_service.change_password(
        db.session, user=current_user, current=form.current_password.data,
        new=form.password.data, confirm=form.confirm.data), form=form,
        done=lambda _none: respond(fragment=None, redirect_to=url_for("profile.show"),
                                   flash_message="Password changed."),
        problem=lambda _exc: render_template("profile/show.html",
                                             **_context(password_form=form)))
