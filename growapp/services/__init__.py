"""The business rules. Plain functions taking a Session; no Flask imports."""
