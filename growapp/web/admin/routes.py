"""Admin: users and invites, the audit log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...http.htmx import render
from ...models import AuditLog, Invite, User
from ...services import users as user_service
from ..writes import page_write, respond
from . import bp
from .forms import InviteForm, RoleForm

log = logging.getLogger(__name__)
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
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return False
    msg = EmailMessage()
    msg["Subject"] = "You are invited to growapp"
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = email
    msg.set_content(f"You have been invited to growapp.\n\nSet your password here:\n{link}\n\n"
                    f"The link works once and expires in {cfg['INVITE_DAYS']} days.\n")
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
            smtp.starttls()
            if cfg.get("SMTP_USER"):
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send invite email to %s", email)
        return False
    return True


@bp.post("/invites")
def create_invite():
    form = InviteForm()

    def done(created):
        invite, token = created
        base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
        link = base + url_for("auth.invite", token=token)
        emailed = _send_invite_email(invite.email, link)
        # The link is shown once; only its hash is stored.
        return render("admin/users.html", "admin/_invite_form.html", status=201,
                      **_people_context(new_invite=invite, invite_link=link, emailed=emailed))

    return page_write(lambda: user_service.create_invite(
        db.session, email=form.email.data, role=form.role.data, actor=current_user,
        days=current_app.config["INVITE_DAYS"]), form=form, done=done,
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
