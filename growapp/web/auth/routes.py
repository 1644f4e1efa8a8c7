"""Sign in, sign out, accept an invite."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from ...http.access import public, viewer_may_write
from ...http.htmx import safe_next
from ...services import users as user_service
from ..writes import page_write, respond
from . import bp
from .forms import AcceptInviteForm, LoginForm


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = safe_next(request.args.get("next"), url_for("experiments.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()

    def show(_exc=None):
        return render_template("auth/login.html", form=form, next_url=next_url)

    if request.method != "POST":
        return show()
    cfg = current_app.config

    def done(user):
        login_user(user, remember=True)
        return redirect(next_url, code=303)

    return page_write(lambda: user_service.authenticate(
        db.session, email=form.email.data, password=form.password.data,
        ip=request.remote_addr or "", max_failures=cfg["LOGIN_MAX_FAILURES"],
        max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"], window_minutes=cfg["LOGIN_WINDOW_MINUTES"]),
        form=form, done=done, problem=show, commit_on_error=True)


@bp.post("/logout")
@viewer_may_write
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def invite(token: str):
    invite_row = user_service.find_invite(db.session, token)  # 404 / 410 page when not usable
    form = AcceptInviteForm()

    def show(_exc=None):
        return render_template("auth/invite.html", form=form, invite=invite_row)

    if request.method != "POST":
        return show()

    def done(user):
        logout_user()
        login_user(user, remember=True)
        return respond(fragment=None, redirect_to=url_for("experiments.index"), flash_message=(
            f"Welcome, {user.display_name}. You are signed in as {user.role}."))

    return page_write(lambda: user_service.accept_invite(
        db.session, token=token, display_name=form.display_name.data,
        password=form.password.data, confirm=form.confirm.data), form=form, done=done,
        problem=show)
