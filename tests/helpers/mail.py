"""A stand-in for smtplib.SMTP that keeps what would have been sent (and can be slow)."""

from __future__ import annotations

import time


class FakeSMTP:
    outbox: list = []
    delay: float = 0.0  # seconds each message takes, like a slow SMTP server

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
        if FakeSMTP.delay:
            time.sleep(FakeSMTP.delay)
        FakeSMTP.outbox.append(msg)


def install(monkeypatch, app, *, delay: float = 0.0) -> list:
    """Route the app's email to a list (returned) and turn SMTP on."""
    from growapp.web import mail

    mail.wait_sent(15)  # an earlier test's mail goes to that test's outbox, not this one
    FakeSMTP.outbox = []
    monkeypatch.setattr(FakeSMTP, "delay", delay)
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    return FakeSMTP.outbox


def wait_sent(app=None, timeout: float = 15) -> None:
    """Wait for the app's mail thread to hand over what it was given."""
    from growapp.web import mail

    mail.wait_sent(timeout)
