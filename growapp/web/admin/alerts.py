"""Admin: outbound alert channels (signed webhooks, email) and their delivery log."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import Length, Optional

from ...extensions import db
from ...http.htmx import render
from ...services import alert_channels as channel_service
from ..mail import mail_configured
from ..writes import page_write, respond
from . import bp

FRAGMENT = "admin/_alerts.html"


# The service checks what is required (so a refusal names every field at once); the
# forms bound lengths only.
class WebhookForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=channel_service.NAME_MAX)])
    url = StringField("URL", validators=[Length(max=channel_service.URL_MAX)])
    secret = PasswordField("Signing secret", validators=[
        Optional(), Length(max=channel_service.SECRET_MAX)])


class EmailChannelForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=channel_service.NAME_MAX)])
    email = EmailField("Email address", validators=[Length(max=254)])


def _context(**extra):
    channels, log = channel_service.channels_and_log(db.session)
    return {"channels": channels, "log": log,
            "secret_hints": channel_service.secret_hints(db.session, channels),
            "webhook_form": extra.pop("webhook_form", None) or WebhookForm(formdata=None),
            "email_form": extra.pop("email_form", None) or EmailChannelForm(formdata=None),
            "smtp_ready": mail_configured(),
            "production": current_app.config.get("ENV") == "production", **extra}


def _page(status: int = 200, **extra):
    return render("admin/alerts.html", FRAGMENT, status=status, **_context(**extra))


@bp.get("/alerts")
def alerts():
    return render_template("admin/alerts.html", **_context())


@bp.post("/alerts/webhooks")
def create_webhook():
    form = WebhookForm()

    def done(result):
        channel, secret = result
        # The secret is shown once here; the page never shows it again.
        return _page(201, new_channel=channel, new_secret=secret,
                     message=f"Webhook “{channel.name}” added.")

    return page_write(lambda: channel_service.create_webhook(
        db.session, name=form.name.data, url=form.url.data, secret=form.secret.data,
        actor=current_user, production=current_app.config.get("ENV") == "production"),
        form=form, key=None, done=done,
        problem=lambda _exc: _page(webhook_form=form, open_form="webhook"))


@bp.post("/alerts/emails")
def create_email_channel():
    form = EmailChannelForm()

    def done(channel):
        return respond(fragment=FRAGMENT, redirect_to=url_for("admin.alerts"),
                       flash_message=f"{channel.email} will get the alerts.",
                       **_context(message=f"{channel.email} will get the alerts."))

    return page_write(lambda: channel_service.create_email_channel(
        db.session, name=form.name.data, email=form.email.data, actor=current_user),
        form=form, key=None, done=done,
        problem=lambda _exc: _page(email_form=form, open_form="email"))


def _channel_write(action, message):
    def done(result):
        text = message(result)
        return respond(fragment=FRAGMENT, redirect_to=url_for("admin.alerts"),
                       flash_message=text, **_context(message=text))

    return page_write(action, key=None, done=done,
                      problem=lambda exc: _page(problem=exc.detail))


@bp.post("/alerts/<int:channel_id>/test")
def test_channel(channel_id: int):
    return _channel_write(
        lambda: channel_service.send_test(db.session, channel_id=channel_id,
                                          actor=current_user),
        lambda d: "Test message queued; the worker sends it within a minute.")


@bp.post("/alerts/<int:channel_id>/enable")
def enable_channel(channel_id: int):
    return _channel_write(
        lambda: channel_service.set_enabled(db.session, channel_id=channel_id, enabled=True,
                                            actor=current_user),
        lambda c: f"“{c.name}” is on.")


@bp.post("/alerts/<int:channel_id>/disable")
def disable_channel(channel_id: int):
    return _channel_write(
        lambda: channel_service.set_enabled(db.session, channel_id=channel_id, enabled=False,
                                            actor=current_user),
        lambda c: f"“{c.name}” is off; it gets nothing until it is turned on again.")


@bp.post("/alerts/<int:channel_id>/delete")
def delete_channel(channel_id: int):
    return _channel_write(
        lambda: channel_service.delete_channel(db.session, channel_id=channel_id,
                                               actor=current_user),
        lambda c: f"“{c.name}” deleted.")
