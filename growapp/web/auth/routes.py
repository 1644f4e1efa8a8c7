"""Sign in, sign out, accept an invite, recover a forgotten password."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from ...extensions import db
from ...http.access import public, viewer_may_write
from ...http.htmx import safe_next
from ...http.public_links import public_base_url
from ...services import password_reset as reset_service
from ...services import sessions as session_service
from ...services import signin
from ...services import users as user_service
from ...services.errors import Conflict
from ..mail import mail_configured, send_mail_after_commit
from ..writes import page_write, respond
from . import bp
from .forms import AcceptInviteForm, ForgotPasswordForm, LoginForm, ResetPasswordForm

DEVICE_COOKIE = "growapp_device"
RESET_SENT = ("If an account exists for that address, we have emailed it a link to choose a "
              "new password. The link works once, within {hours} hour(s).")


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="growapp-known-device")


def _known_device_user_id() -> int | None:
    """The account this browser last signed in to (a signed cookie): it skips the
    per-account sign-in delay, so guessing from elsewhere never locks its owner out."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _device_signer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def _remember_device(resp, user_id: int) -> None:
    cfg = current_app.config
    resp.set_cookie(DEVICE_COOKIE, _device_signer().dumps(user_id), max_age=365 * 86400,
                    httponly=True, samesite="Lax", secure=bool(cfg.get("SESSION_COOKIE_SECURE")))


def _start(user, remember: bool) -> None:
    session_service.start_session(
        db.session, user=user, user_agent=request.user_agent.string,
        ip=request.remote_addr or "", remember=remember,
        remember_for=current_app.config["REMEMBER_COOKIE_DURATION"])


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = safe_next(request.args.get("next"), url_for("experiments.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()

    def show(exc=None):
        retry = getattr(exc, "extra", {}).get("retry_after") if exc is not None else None
        body = render_template("auth/login.html", form=form, next_url=next_url,
                               can_reset=mail_configured())
        return (body, {"Retry-After": str(retry)}) if retry else body

    if request.method != "POST":
        return show()
    cfg = current_app.config
    remember = bool(form.remember.data)

    def done(result):
        user, _row = result
        login_user(user, remember=remember, duration=cfg["REMEMBER_COOKIE_DURATION"])
        resp = redirect(next_url, code=303)
        _remember_device(resp, user.id)
        return resp

    return page_write(lambda: signin.sign_in(
        db.session, email=form.email.data, password=form.password.data,
        ip=request.remote_addr or "", user_agent=request.user_agent.string,
        remember=remember, remember_days=cfg["REMEMBER_COOKIE_DURATION"].days,
        max_failures=cfg["LOGIN_MAX_FAILURES"], max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"],
        window_minutes=cfg["LOGIN_WINDOW_MINUTES"],
        max_delay_seconds=cfg["LOGIN_MAX_DELAY_SECONDS"],
        known_device_user_id=_known_device_user_id()),
        form=form, done=done, problem=show, commit_on_error=True)


@bp.post("/logout")
@viewer_may_write
def logout():
    def done(_none):
        logout_user()  # also clears the remember cookie; the row above ends both for good
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"), code=303)

    return page_write(lambda: session_service.sign_out(
        db.session, user_session=g.get("user_session"), user=current_user), done=done)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def invite(token: str):
    invite_row = user_service.find_invite(db.session, token)  # 404 / 410 page when not usable
    form = AcceptInviteForm()

    def show(_exc=None):
        return render_template("auth/invite.html", form=form, invite=invite_row)

    if request.method != "POST":
        return show()

    def accept():
        user = user_service.accept_invite(
            db.session, token=token, display_name=form.display_name.data,
            password=form.password.data, confirm=form.confirm.data)
        db.session.info["actor_id"] = user.id  # the new user's sign-in is theirs
        _start(user, remember=False)
        return user

    def done(user):
        logout_user()
        login_user(user)
        return respond(fragment=None, redirect_to=url_for("experiments.index"), flash_message=(
            f"Welcome, {user.display_name}. You are signed in as {user.role}."))

    return page_write(accept, form=form, done=done, problem=show)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    hours = current_app.config["RESET_LINK_HOURS"]

    def show(_exc=None):
        return render_template("auth/forgot.html", form=form, enabled=mail_configured())

    if request.method != "POST":
        return show()

    def ask():
        if not mail_configured():
            raise Conflict("Password reset by email is not set up here. Ask your admin to "
                           "reset your password.")
        base = public_base_url()  # refuses (409) before anything is written
        found = reset_service.request_password_reset(
            db.session, email=form.email.data, ip=request.remote_addr or "", hours=hours)
        if found is not None:  # sent after the commit, by the mail thread: same answer,
            user, token = found  # same time, whether or not the address has an account
            link = base + url_for("auth.reset_password", token=token)
            send_mail_after_commit(db.session, user.email, "Reset your growapp password", (
                f"Someone (hopefully you) asked to reset the growapp password of {user.email}."
                f"\n\nChoose a new password here:\n{link}\n\nThe link works once and expires "
                f"in {hours} hour(s). If you did not ask, ignore this email.\n"))

    def done(_none):
        return respond(fragment=None, redirect_to=url_for("auth.login"), category="info",
                       flash_message=RESET_SENT.format(hours=hours))

    return page_write(ask, form=form, done=done, problem=show)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    reset_service.find_reset(db.session, token)  # 404 / 410 page when not usable
    form = ResetPasswordForm()

    def show(_exc=None):
        return render_template("auth/reset.html", form=form)

    if request.method != "POST":
        return show()

    def done(_user):
        logout_user()
        return respond(fragment=None, redirect_to=url_for("auth.login"), flash_message=(
            "Your password is changed and every device was signed out. Sign in with the new "
            "password."))

    return page_write(lambda: reset_service.reset_password(
        db.session, token=token, password=form.password.data, confirm=form.confirm.data),
        form=form, done=done, problem=show)
