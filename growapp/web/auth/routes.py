"""Sign in, sign out, accept an invite."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from ...http.access import public, viewer_may_write
from ...http.htmx import safe_next
from ...services import users as user_service
from ...services.errors import Invalid, RateLimited
from ..forms import merge_errors
from . import bp
from .forms import AcceptInviteForm, LoginForm


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = safe_next(request.args.get("next"), url_for("experiments.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            session = db.session
            cfg = current_app.config
            try:
                user = user_service.authenticate(
                    session, email=form.email.data, password=form.password.data,
                    ip=request.remote_addr or "", max_failures=cfg["LOGIN_MAX_FAILURES"],
                    max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"],
                    window_minutes=cfg["LOGIN_WINDOW_MINUTES"])
            except Invalid as exc:
                session.commit()  # keep the failure: it counts towards the rate limit
                merge_errors(form, exc)
                status = 422
            except RateLimited as exc:
                form.form_errors.append(exc.detail)
                status = 429
            else:
                session.commit()
                login_user(user, remember=True)
                return redirect(next_url, code=303)
        else:
            status = 422
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.post("/logout")
@viewer_may_write
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def invite(token: str):
    session = db.session
    invite_row = user_service.find_invite(session, token)  # 404 / 410 page when not usable
    form = AcceptInviteForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                user = user_service.accept_invite(
                    session, token=token, display_name=form.display_name.data,
                    password=form.password.data, confirm=form.confirm.data)
            except Invalid as exc:
                session.rollback()
                merge_errors(form, exc)
                status = 422
            else:
                session.commit()
                logout_user()
                login_user(user, remember=True)
                flash(f"Welcome, {user.display_name}. You are signed in as {user.role}.",
                      "success")
                return redirect(url_for("experiments.index"), code=303)
        else:
            status = 422
    return render_template("auth/invite.html", form=form, invite=invite_row), status
