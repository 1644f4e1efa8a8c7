"""The cockpit's lists statement: one UNION ALL whose constants are SQL text, so psycopg
converts only the real parameters on each execution (it caches no statement this long)."""

import pytest
from sqlalchemy.dialects import postgresql

from growapp.services.read.cockpit_lists import lists_statement
from growapp.services.read.inline import inline
from growapp.services.read.tent_now import tent_now_statement


def test_only_the_ids_and_the_plant_code_are_bound():
    dialect = postgresql.psycopg.dialect()
    lists = lists_statement(True).compile(dialect=dialect)
    assert set(lists.params) == {"plant_id", "recipe_id", "tent_id", "experiment_id",
                                 "tray_id", "plant_code"}
    assert str(lists).count("%(") <= 30  # 79 placeholders before (tags, codes, limits)
    assert set(tent_now_statement().compile(dialect=dialect).params) == {"tent_id"}


def test_inline_writes_quoted_text_and_integers_only():
    dialect = postgresql.psycopg.dialect()
    assert str(inline("it's").compile(dialect=dialect)) == "'it''s'"
    assert str(inline(20).compile(dialect=dialect)) == "20"
    for bad in (1.5, True, None):
        with pytest.raises(TypeError):
            inline(bad)
