"""App settings for tests that build their own app."""

from __future__ import annotations

import tempfile

SECRET = "test-secret-key-not-for-production"
AUDIT_KEY = "test-audit-key-not-for-production-0123456789"


def app_settings(url: str, **extra) -> dict:
    settings = {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": SECRET,
                "AUDIT_KEY": AUDIT_KEY, "ENV": "development", "PUBLIC_BASE_URL": "https://growapp.example.org",
                "SMTP_HOST": None}
    if "RENDER_SLOTS_DIR" not in extra:  # a test run never waits on another's PDF slots
        settings["RENDER_SLOTS_DIR"] = tempfile.mkdtemp(prefix="growapp-render-slots-")
    settings.update(extra)
    return settings
