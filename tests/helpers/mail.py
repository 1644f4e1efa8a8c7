"""A stand-in for smtplib.SMTP that keeps what would have been sent (and can be slow, or
hold every message until the test calls ``release()``)."""

from __future__ import annotations

import threading
import time

HOLD_AT_MOST = 10.0  # seconds a held message waits for release() (a failing test moves on)


class FakeSMTP:
    outbox: list = []
    delay: float = 0.0  # seconds each message takes, like a slow SMTP server
    gate: threading.Event | None = None  # set: messages wait for it (release())

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
        if FakeSMTP.gate is not None:
            FakeSMTP.gate.wait(HOLD_AT_MOST)
        if FakeSMTP.delay:
            time.sleep(FakeSMTP.delay)
        FakeSMTP.outbox.append(msg)


def install(monkeypatch, app, *, delay: float = 0.0, held: bool = False) -> list:
    """Route the app's email to a list (returned) and turn SMTP on. ``held``: the server
    takes no message until ``release()``."""
    from growapp.web import mail

    mail.wait_sent(15)  # an earlier test's mail goes to that test's outbox, not this one
    FakeSMTP.outbox = []
    monkeypatch.setattr(FakeSMTP, "delay", delay)
    monkeypatch.setattr(FakeSMTP, "gate", threading.Event() if held else None)
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    return FakeSMTP.outbox


def wait_sent(app=None, timeout: float = 15) -> None:
    """Wait for the app's mail thread to hand over what it was given."""
    from growapp.web import mail

    mail.wait_sent(timeout)


def release() -> None:
    """Let a held server take its messages."""
    if FakeSMTP.gate is not None:
        FakeSMTP.gate.set()
