"""Admin: users and invites, the audit log."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...http.htmx import render
from ...http.public_links import public_base_url
from ...models import AuditLog, Invite, User
from ...services import password_reset as reset_service
from ...services import users as user_service
from ..mail import mail_configured, send_mail_after_commit
from ..writes import page_write, respond
from . import bp
from .forms import InviteForm, RoleForm

AUDIT_PAGE = 100


def _people_context(**extra):
    session = db.session
    users = session.scalars(select(User).order_by(User.email)).all()
    invites = session.scalars(select(Invite).order_by(Invite.created_at.desc()).limit(50)).all()
    return {"users": users, "invites": invites, "invite_form": extra.pop("invite_form", None)
            or InviteForm(), **extra}


@bp.get("/users")
def users():
    return render_template("admin/users.html", **_people_context())


def _send_invite_email(email: str, link: str) -> bool:
    """Queue the invite mail for after the commit (the mail thread sends it: the request
    never waits for SMTP); whether it was queued."""
    days = current_app.config["INVITE_DAYS"]
    send_mail_after_commit(db.session, email, "You are invited to growapp", (
        f"You have been invited to growapp.\n\nSet your password here:\n{link}\n\n"
        f"The link works once and expires in {days} days.\n"))
    return mail_configured()


@bp.post("/invites")
def create_invite():
    form = InviteForm()

    def create():
        base = public_base_url()  # refuses (409) before anything is written
        return base, user_service.create_invite(
            db.session, email=form.email.data, role=form.role.data, actor=current_user,
            days=current_app.config["INVITE_DAYS"])

    def done(result):
        base, (invite, token) = result
        link = base + url_for("auth.invite", token=token)
        emailed = _send_invite_email(invite.email, link)
        # The link is shown once; only its hash is stored.
        return render("admin/users.html", "admin/_invite_form.html", status=201,
                      **_people_context(new_invite=invite, invite_link=link, emailed=emailed))

    return page_write(create, form=form, done=done,
        problem=lambda _exc: render("admin/users.html", "admin/_invite_form.html",
                                    **_people_context(invite_form=form)))


@bp.post("/invites/<int:invite_id>/revoke")
def revoke_invite(invite_id: int):
    return page_write(lambda: user_service.revoke_invite(
        db.session, invite_id=invite_id, actor=current_user), done=lambda invite: respond(
        fragment=None, redirect_to=url_for("admin.users"), category="info",
        flash_message=f"Invite for {invite.email} withdrawn."))


@bp.post("/users/<int:user_id>")
def update_user(user_id: int):
    form = RoleForm()

    def done(user):
        return respond(fragment=None, redirect_to=url_for("admin.users"), flash_message=(
            f"{user.email} is now {user.role}{'' if user.is_active else ' (deactivated)'}."))

    return page_write(lambda: user_service.set_user_role(
        db.session, user_id=user_id, role=form.role.data, active=form.active.data == "1",
        actor=current_user), form=form, done=done)


@bp.post("/users/<int:user_id>/password-reset")
def reset_password(user_id: int):
    hours = reset_service.ADMIN_ISSUED_HOURS

    def reset():
        base = public_base_url()  # refuses (409) before anything is written
        return base, reset_service.admin_reset_password(db.session, user_id=user_id,
                                                        actor=current_user, hours=hours)

    def done(result):
        base, (user, token) = result
        link = base + url_for("auth.reset_password", token=token)
        send_mail_after_commit(db.session, user.email, "Your growapp password was reset", (
            f"An admin reset your growapp password and signed you out everywhere.\n\n"
            f"Choose a new password here:\n{link}\n\nThe link works once and expires in "
            f"{hours} hours.\n"))  # sent by the mail thread once this commits
        emailed = mail_configured()
        return render_template("admin/users.html", **_people_context(
            reset_user=user, reset_link=link, reset_emailed=emailed, reset_hours=hours))

    return page_write(reset, done=done)


@bp.get("/audit")
def audit():
    session = db.session
    before = request.args.get("before", type=int)
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(AUDIT_PAGE)
    table = request.args.get("table") or None
    if table:
        stmt = stmt.where(AuditLog.table_name == table)
    if before:
        stmt = stmt.where(AuditLog.id < before)
    rows = session.scalars(stmt).all()
    total = session.scalar(select(func.count(AuditLog.id)))
    emails = dict(session.execute(select(User.id, User.email)).all())
    return render_template("admin/audit.html", rows=rows, total=total, emails=emails,
                           table=table, next_before=rows[-1].id if len(rows) == AUDIT_PAGE
                           else None)
