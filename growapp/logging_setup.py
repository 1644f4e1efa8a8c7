"""Logging with the request id on every line."""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    # Replace our own handler on repeated create_app() calls, keep others (pytest's).
    for old in [h for h in root.handlers if getattr(h, "growapp", False)]:
        root.removeHandler(old)
    handler.growapp = True
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app.logger.handlers.clear()
    app.logger.propagate = True
