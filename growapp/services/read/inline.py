"""Constants written into a statement's SQL instead of bound as parameters.

psycopg converts a statement's ``%(name)s`` placeholders on every execution when the SQL is
longer than 4,096 characters or has more than 50 of them (it caches only shorter ones):
the cockpit's lists statement, 14,000 characters with 79 placeholders, cost 0.38 ms of
CPU per page in that conversion, 0.13 ms once its fixed tags, codes and limits were
written inline. Only constants from the code go through here, never a value from a
request."""

from __future__ import annotations

from sqlalchemy import Integer, String, literal_column


def inline(value: str | int, type_=None):
    """``value`` as SQL text (a quoted string or an integer), typed for SQLAlchemy."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"inline() takes a str or an int, not {type(value).__name__}")
    if isinstance(value, int):
        return literal_column(str(int(value)), type_ or Integer)
    return literal_column("'" + value.replace("'", "''") + "'", type_ or String)
