"""A stand-in for smtplib.SMTP that keeps what would have been sent."""

from __future__ import annotations


class FakeSMTP:
    outbox: list = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        FakeSMTP.outbox.append(msg)


def install(monkeypatch, app) -> list:
    """Route the app's email to a list (returned) and turn SMTP on."""
    from growapp.web import mail

    FakeSMTP.outbox = []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    return FakeSMTP.outbox
