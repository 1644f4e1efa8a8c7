"""App settings for tests that build their own app."""

from __future__ import annotations

SECRET = "test-secret-key-not-for-production"


def app_settings(url: str, **extra) -> dict:
    settings = {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": SECRET, "ENV": "development",
                "PUBLIC_BASE_URL": "https://growapp.example.org", "SMTP_HOST": None}
    settings.update(extra)
    return settings
