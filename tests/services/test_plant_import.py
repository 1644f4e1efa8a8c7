"""CSV import: every row reported; all-or-nothing; file-level problems named."""

import pytest
from sqlalchemy import func, select

from growapp.models import Plant
from growapp.services.errors import Conflict, Invalid
from growapp.services.plant_import import MAX_ROWS, FileTooLarge, ImportRejected, import_plants
from tests.helpers import factories as f


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


def count(session, exp):
    return session.scalar(select(func.count(Plant.id)).where(Plant.experiment_id == exp.id))


GOOD = ("plant_code,species,cultivar,grade,notes\n"
        "VFT-010,Venus flytrap,B52,A,big one\n"
        ",Drosera capensis,,b,\n"
        ",venus flytrap,Akai Ryu,,\n")


def test_dry_run_then_import(session, op):
    exp = f.make_experiment(session)
    dry = import_plants(session, experiment_id=exp.id, data=GOOD.encode(), actor=op)
    assert dry.dry_run and dry.error_count == 0 and count(session, exp) == 0
    assert [r.plant_code for r in dry.rows] == ["VFT-010", "DRO-001", "VFT-011"]
    assert dry.rows[1].grade == "B"
    done = import_plants(session, experiment_id=exp.id, data=GOOD.encode(), actor=op,
                         dry_run=False)
    assert done.created == 3 and count(session, exp) == 3


def test_bom_crlf_and_blank_lines(session, op):
    exp = f.make_experiment(session)
    data = ("\ufeffspecies,plant_code\r\nVenus flytrap,A-1\r\n\r\n,\r\nCape sundew,A-2\r\n")
    result = import_plants(session, experiment_id=exp.id, data=data.encode("utf-8"), actor=op,
                           dry_run=False)
    assert result.created == 2


def test_row_errors_write_nothing_and_name_each_row(session, op):
    exp = f.make_experiment(session)
    f.make_plant(session, exp, code="VFT-001")
    data = ("plant_code,species,grade\n"
            "VFT-001,Venus flytrap,A\n"       # taken
            "X-1,Triffid,A\n"                 # unknown species
            "X-2,Venus flytrap,Q\n"           # bad grade
            "X-3,Venus flytrap,\n"
            "X-3,Venus flytrap,\n"            # duplicate in file
            "bad code,Venus flytrap,\n")
    with pytest.raises(ImportRejected) as err:
        import_plants(session, experiment_id=exp.id, data=data.encode(), actor=op,
                      dry_run=False)
    rows = {r.line: r for r in err.value.result.rows}
    assert "already used" in rows[2].errors[0]
    assert "Unknown species" in rows[3].errors[0]
    assert "not A, B or C" in rows[4].errors[0]
    assert rows[5].ok and "also on line 5" in rows[6].errors[0]
    assert "not valid" in rows[7].errors[0]
    assert count(session, exp) == 1


@pytest.mark.parametrize("data, message", [
    (b"code,kind\nA,B\n", "Missing column"),
    (b"species,colour\nVenus flytrap,red\n", "Unknown column"),
    (b"", "empty"),
    (b"species\n", "no plants"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_file_level_problems(session, op, data, message):
    exp = f.make_experiment(session)
    with pytest.raises(Invalid) as err:
        import_plants(session, experiment_id=exp.id, data=data, actor=op)
    text = err.value.detail + " ".join(err.value.errors.get("file", []))
    assert message.lower() in text.lower()


def test_too_many_rows_and_too_large(session, op):
    exp = f.make_experiment(session)
    rows = "species\n" + "Venus flytrap\n" * (MAX_ROWS + 1)
    with pytest.raises(Invalid, match="Too many"):
        import_plants(session, experiment_id=exp.id, data=rows.encode(), actor=op)
    with pytest.raises(FileTooLarge):
        import_plants(session, experiment_id=exp.id, data=b"species\n" + b"x" * 3_000_000,
                      actor=op)


def test_five_thousand_rows_are_refused_but_two_thousand_import(session, op):
    exp = f.make_experiment(session)
    ok = "species\n" + "Venus flytrap\n" * MAX_ROWS
    result = import_plants(session, experiment_id=exp.id, data=ok.encode(), actor=op,
                           dry_run=False)
    assert result.created == MAX_ROWS and result.rows[-1].plant_code == "VFT-2000"


def test_import_refused_while_running(session, op):
    exp = f.make_experiment(session, status="running")
    with pytest.raises(Conflict):
        import_plants(session, experiment_id=exp.id, data=GOOD.encode(), actor=op)


def test_suggested_codes_cost_the_same_statements_for_any_number_of_rows(session, op,
                                                                        connection):
    """Each codeless row looked its category's prefix up again (2,000 rows: 2,000 more
    statements) and scanned every code so far; now once per category and prefix."""
    from tests.helpers.statements import count_statements

    exp = f.make_experiment(session)
    f.make_plant(session, exp, code="VFT-007")

    def check(pairs: int) -> tuple[int, list[str]]:
        data = ("species\n" + "Venus flytrap\nDrosera capensis\n" * pairs).encode()
        with count_statements(connection) as statements:
            result = import_plants(session, experiment_id=exp.id, data=data, actor=op)
        assert result.error_count == 0
        return len(statements), [r.plant_code for r in result.rows]

    few, codes = check(1)
    many, more = check(150)
    assert codes == ["VFT-008", "DRO-001"] and more[:2] == codes
    assert more[-2:] == ["VFT-157", "DRO-150"] and len(set(more)) == 300
    assert many == few
