"""Production entry point: `gunicorn wsgi:app` (see README, Production)."""

from growapp import create_app

app = create_app()
