"""Moved to ``services/read/readiness.py``. Kept only for growapp/web/labels/routes.py, which
another branch is splitting; delete once that import points at ``services.read.readiness``."""

from .read.readiness import status_summary

__all__ = ["status_summary"]
