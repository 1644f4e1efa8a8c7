"""The all-in-one export: contents, and the Python script reproduces the report."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile

import pytest

from growapp.models import utcnow
from growapp.services.bundle import bundle_chunks, dictionary
from growapp.services.errors import NotFound
from growapp.services.exports import COLUMNS
from growapp.services.reports import build_report
from tests.helpers.reports import three_recipe_trial, tray_trial


def _zip(session, experiment_id) -> zipfile.ZipFile:
    data = b"".join(bundle_chunks(session, experiment_id=experiment_id, exported_at=utcnow()))
    return zipfile.ZipFile(io.BytesIO(data))


def test_zip_holds_every_csv_the_design_and_both_scripts(session):
    exp, _week1 = tray_trial(session)
    zf = _zip(session, exp.id)
    names = set(zf.namelist())
    assert {f"{n}.csv" for n in COLUMNS} <= names
    assert {"design.json", "metric_definitions.csv", "README.txt", "reproduce_report.py",
            "reproduce_report.R"} <= names
    design = json.loads(zf.read("design.json"))
    assert [r["code"] for r in design["recipes"]] == ["R0", "R1"]
    assert design["recipes"][0]["control"] is True
    assert design["recipes"][1]["trays"] == ["TR3", "TR4"]
    assert {t["code"] for t in design["trays"]} == {"TR1", "TR2", "TR3", "TR4"}
    assert design["tents"][0]["slots"] == 4
    assert design["analysis"]["method"] == "ols-tray-means"
    leaf = next(m for m in design["metrics"] if m["key"] == "leaf_count")
    assert leaf["analysed"] and leaf["type"] == "int"
    assert design["columns"]["metrics"]["week_number"].startswith("0 = baseline")
    assert list(design["columns"]["plants"]) == COLUMNS["plants"]
    rows = list(csv.reader(io.StringIO(zf.read("metrics.csv").decode())))
    assert rows[0] == COLUMNS["metrics"]
    assert "lm(" in zf.read("reproduce_report.R").decode()


def test_every_column_has_a_meaning():
    for name, cols in COLUMNS.items():
        assert all(dictionary()[name][c] for c in cols), name


def test_zip_of_a_missing_experiment_is_not_found_before_streaming(session):
    with pytest.raises(NotFound):
        bundle_chunks(session, experiment_id=987654, exported_at=utcnow())


def test_zip_streams_in_chunks(session):
    exp = three_recipe_trial(session)
    chunks = list(bundle_chunks(session, experiment_id=exp.id, exported_at=utcnow()))
    assert len([c for c in chunks if c]) > 3  # written while the rows are read


def _run_script(tmp_path, zf, *args) -> list[dict]:
    zf.extractall(tmp_path)
    out = subprocess.run([sys.executable, str(tmp_path / "reproduce_report.py"), *args],
                         capture_output=True, text=True, check=True, timeout=120)
    return list(csv.DictReader(io.StringIO(out.stdout)))


def _close(a: str, b) -> bool:
    if b is None:
        return a == ""
    return abs(float(a) - b) <= 1e-6


@pytest.mark.parametrize("split", [None, "grade", "category"])
@pytest.mark.parametrize("trial", ["tray_trial", "three_recipe_trial"])
def test_python_script_reproduces_the_report(session, tmp_path, split, trial):
    exp = tray_trial(session)[0] if trial == "tray_trial" else three_recipe_trial(session)
    session.commit()
    report = build_report(session, experiment_id=exp.id, split=split)
    rows = _run_script(tmp_path, _zip(session, exp.id), *(["--split", split] if split else []))
    got = {(r["metric"], int(r["week"]), r["stratum"], r["recipe"]): r for r in rows}
    expected = {(m.key, w, s, c.recipe): (c, fit) for m in report.metrics
                for (s, w), fit in m.fits.items() for c in fit.contrasts}
    assert expected and set(got) == set(expected)
    for key, (c, fit) in expected.items():
        row = got[key]
        for name in ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted"):
            assert _close(row[name], getattr(c, name)), (key, name, row[name],
                                                          getattr(c, name))
        assert int(row["trays_vs"]) == c.n_units["R0"]
        assert int(row["trays"]) == c.n_units[c.recipe]
        assert int(row["plants"]) == c.n_plants[c.recipe]
        assert int(row["df"]) == fit.df
