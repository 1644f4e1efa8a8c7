"""Your profile: password, signed-in devices and personal API tokens (viewers too)."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from ...extensions import db
from ...http.access import viewer_may_write
from ...http.htmx import render
from ...models import ApiToken
from ...services import digest as digest_service
from ...services import sessions as session_service
from ...services import users as user_service
from ...services.tokens import revoke_user_tokens
from ..writes import page_write, respond
from . import bp
from .forms import DigestForm, PasswordForm, TokenForm


def _context(**extra):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())).all()
    current = g.get("user_session")
    ctx = {"tokens": tokens, "token_form": TokenForm(), "password_form": PasswordForm(),
           "devices": session_service.active_sessions(db.session, user=current_user),
           "current_session_id": current.id if current else None,
           "describe_device": session_service.describe_device}
    ctx.update(_digest_context())
    ctx.update(extra)
    return ctx


@bp.get("")
def show():
    return render_template("profile/show.html", **_context())


def _digest_context() -> dict:
    on = digest_service.wants_digest(db.session, user_id=current_user.id)
    cfg = current_app.config
    return {"digest_form": DigestForm(formdata=None, digest=on), "digest_on": on,
            "digest_hour": int(cfg.get("DIGEST_HOUR", 7)),
            "digest_zone": cfg.get("TIMEZONE") or "UTC", "digest_mail": bool(cfg.get("SMTP_HOST"))}


@bp.post("/digest")
@viewer_may_write
def set_digest():
    form = DigestForm()
    return page_write(lambda: digest_service.set_digest(
        db.session, user=current_user, enabled=bool(form.digest.data)), form=form, key=None,
        done=lambda on: respond(
            fragment="profile/_digest.html",
            redirect_to=url_for("profile.show") + "#profile-digest",
            flash_message="Daily digest on." if on else "Daily digest off.",
            **_digest_context(), message="Daily digest on." if on else "Daily digest off."))


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
        new=form.password.data, confirm=form.confirm.data,
        keep_session_id=_current_session_id()), form=form,
        done=lambda ended: respond(fragment=None, redirect_to=url_for("profile.show"),
                                   flash_message="Password changed." + (
                                       f" {ended} other device(s) were signed out."
                                       if ended else "")),
        problem=lambda _exc: render_template("profile/show.html",
                                             **_context(password_form=form)))


def _current_session_id() -> int | None:
    current = g.get("user_session")
    return current.id if current else None


def _signed_out(message: str):
    logout_user()
    flash(message, "info")
    return redirect(url_for("auth.login"), code=303)


@bp.post("/sessions/<int:session_id>/end")
@viewer_may_write
def end_session(session_id: int):
    def done(row):
        if row.id == _current_session_id():
            return _signed_out("You are signed out.")
        return respond(fragment=None, redirect_to=url_for("profile.show"), category="info",
                       flash_message=f"{session_service.describe_device(row.user_agent)} is "
                       "signed out.")

    return page_write(lambda: session_service.end_device(
        db.session, session_id=session_id, actor=current_user), done=done)


@bp.post("/sessions/end-all")
@viewer_may_write
def end_all_sessions():
    def end_all():
        db.session.info["reason"] = "signed out everywhere"
        ended = session_service.end_user_sessions(db.session, user_id=current_user.id,
                                                  reason="signed out everywhere")
        return ended, revoke_user_tokens(db.session, user_id=current_user.id,
                                              reason="signed out everywhere")

    def done(counts):
        ended, revoked = counts
        tokens = f" and {revoked} API token{'s' if revoked != 1 else ''} revoked" \
            if revoked else ""
        return _signed_out(f"You are signed out on every device ({ended}){tokens}.")

    return page_write(end_all, done=done)
