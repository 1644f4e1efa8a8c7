"""Count the SQL statements a block of code sends (for fixed-query-count tests)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_statements(target):
    """``with count_statements(connection_or_engine) as stmts:`` → list of SQL strings."""
    statements: list[str] = []

    def _record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(target, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", _record)
