"""Outbound messages: signed webhooks and email (alerts, the daily digest), sent by the
worker's periodic tasks (``growapp.jobs.periodic``), never from a request."""
