"""The row-import skeleton itself (services/row_import.py), driven by a small import of its
own: species rows ``name,category`` written as Species. The plant and measurement imports'
own rules are tested in their own files."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from growapp.models import Species
from growapp.services import row_import as ri
from growapp.services.errors import Invalid
from growapp.services.row_import import ImportRow, RowImport

COLUMNS = ("name", "category")


@dataclass
class SpeciesRow(ImportRow):
    name: str
    category: str

    def cells(self) -> dict:
        return {"name": self.name, "category": self.category}


@dataclass
class SpeciesImport(RowImport[SpeciesRow]):
    columns: list[str] | None = None

    def summary(self) -> dict:
        return {"columns": self.columns}


def import_species(session, data: bytes, *, dry_run: bool, max_rows: int = 2000):
    names, reader = ri.read_header(data)
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n and n not in COLUMNS]
    if missing or unknown:
        raise ri.header_problem(missing=missing, unknown=unknown,
                                expected="Expected name,category.")
    seen: dict[str, int] = {}

    def check(line, cells):
        row = SpeciesRow(line=line, name=cells.get("name", ""), category=cells.get("category", ""))
        if not row.name:
            row.errors.append("Name is empty.")
        elif row.name in seen:
            row.errors.append(f"{row.name} is also on line {seen[row.name]}.")
        seen.setdefault(row.name, line)
        return row

    rows = ri.check_rows(reader, names, check, counted="species", empty="The file has no species.",
                         max_rows=max_rows)

    def write(result):
        session.add_all([Species(common_name=r.name, category=r.category or "other")
                         for r in result.rows])
        session.flush()

    return ri.run_import(SpeciesImport(rows=rows, columns=names), dry_run=dry_run, write=write)


def stored(session, *names: str) -> int:
    return session.scalar(select(func.count(Species.id)).where(Species.common_name.in_(names)))


def test_dry_run_checks_every_row_and_writes_nothing(session):
    data = b"name,category\nRow Alpha,carnivorous\n\nRow Beta,\n"
    result = import_species(session, data, dry_run=True)
    assert [(r.line, r.name, r.ok) for r in result.rows] == [(2, "Row Alpha", True),
                                                            (4, "Row Beta", True)]
    assert result.dry_run and result.created == 0 and stored(session, "Row Alpha") == 0
    assert result.as_dict() == {
        "dry_run": True, "created": 0, "total_rows": 2, "error_rows": 0,
        "columns": ["name", "category"],
        "rows": [{"line": 2, "name": "Row Alpha", "category": "carnivorous", "ok": True,
                  "errors": []},
                 {"line": 4, "name": "Row Beta", "category": "", "ok": True, "errors": []}]}


def test_real_run_writes_every_row(session):
    result = import_species(session, b"name,category\nRow Gamma,a\nRow Delta,b\n",
                            dry_run=False)
    assert not result.dry_run and result.created == 2
    assert stored(session, "Row Gamma", "Row Delta") == 2


def test_real_run_with_a_bad_row_writes_nothing_and_lists_every_row(session):
    data = b"name,category\nRow Eps,a\n,b\nRow Eps,c,extra\n"
    with pytest.raises(ri.ImportRejected) as caught:
        import_species(session, data, dry_run=False)
    exc = caught.value
    assert exc.status == 422 and stored(session, "Row Eps") == 0
    assert exc.detail == "Nothing was imported: 2 of 3 rows have problems."
    assert exc.errors == {"line 3": ["Name is empty."],
                          "line 4": ["Has 3 cells but the header has 2.",
                                     "Row Eps is also on line 2."]}
    assert [r.ok for r in exc.result.rows] == [True, False, False]
    dry = import_species(session, data, dry_run=True)  # the preview shows the same rows
    assert dry.error_count == 2 and dry.as_dict()["error_rows"] == 2


def test_file_level_problems():
    with pytest.raises(ri.FileTooLarge) as big:
        ri.decode_csv(b"x" * (ri.MAX_BYTES + 1))
    assert big.value.status == 413 and "larger than 2 MB" in big.value.detail
    with pytest.raises(Invalid) as binary:
        ri.decode_csv(b"name\x00\x01")
    assert binary.value.errors["file"] == [
        "The file looks binary. Export it from your spreadsheet as CSV."]
    assert ri.decode_csv("\ufeffname\nCafé\n".encode()) == "name\nCafé\n"
    assert ri.decode_csv("name\nCaf\xe9\n".encode("cp1252")) == "name\nCafé\n"
    with pytest.raises(Invalid) as empty:
        ri.read_header(b"")
    assert empty.value.detail == "The file is empty."
    names, reader = ri.read_header(b" Name , CATEGORY\nA,b\n")
    assert names == ["name", "category"] and next(reader) == ["A", "b"]


def test_header_rows_and_limits(session):
    with pytest.raises(Invalid) as header:
        import_species(session, b"nam,category,colour\nA,b,c\n", dry_run=True)
    assert header.value.detail == "The header row is not right."
    assert header.value.errors["file"] == ["Missing column(s): name.",
                                           "Unknown column(s): nam, colour.",
                                           "Expected name,category."]
    with pytest.raises(Invalid) as only_header:
        import_species(session, b"name,category\n\n", dry_run=True)
    assert only_header.value.detail == "The file has no species."
    many = b"name,category\n" + b"".join(b"S%d,a\n" % i for i in range(4))
    assert len(import_species(session, many, dry_run=True, max_rows=4).rows) == 4
    with pytest.raises(Invalid) as too_many:
        import_species(session, many + b"S9,a\n", dry_run=True, max_rows=4)
    assert too_many.value.errors["file"] == ["Import at most 4 species per file; this file "
                                             "has more."]
    with pytest.raises(Invalid) as broken:  # csv's field limit is 131,072 characters
        import_species(session, b'name,category\nA,b\n"' + b"a" * 140_000 + b'",b\n',
                       dry_run=True)
    assert broken.value.detail == "The file is not valid CSV."
    assert "field larger than field limit" in broken.value.errors["file"][0]


def test_header_problem_names_only_what_is_wrong():
    exc = ri.header_problem(missing=[], unknown=["x"], expected="Expected a,b.")
    assert exc.status == 422 and exc.errors == {"file": ["Unknown column(s): x.",
                                                         "Expected a,b."]}
