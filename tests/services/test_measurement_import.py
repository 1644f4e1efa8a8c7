"""Weekly measurements from CSV: dry run per row, all-or-nothing, the plant import's file
rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import Event, Plant, PlantMetric, utcnow
from growapp.services.errors import Invalid
from growapp.services.measurement_import import import_measurements
from growapp.services.plant_import import MAX_ROWS, FileTooLarge, ImportRejected
from growapp.services.plants import remove_plant
from tests.helpers import factories as f


def _trial(session, weeks_ago: int = 3):
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=3)
    exp.started_at = utcnow() - timedelta(weeks=weeks_ago, hours=1)
    session.flush()
    return exp, plants


def _count(session, exp) -> int:
    return session.scalar(select(func.count(PlantMetric.id)).join(Plant).where(
        Plant.experiment_id == exp.id, PlantMetric.week_number > 0)) or 0


def test_dry_run_reports_every_row_and_writes_nothing(session):
    exp, _plants = _trial(session)
    admin = f.make_user(session, "admin")
    data = (b"plant_code,week,leaf_count,vigour\nVFT-001,1,6,3\nVFT-002,1,x,3\n"
            b"VFT-404,1,5,3\nVFT-001,1,7,3\nVFT-003,9,5,3\nVFT-003,2,,\n")
    result = import_measurements(session, experiment_id=exp.id, data=data, actor=admin)
    assert result.dry_run and result.created == 0
    by_line = {r.line: r for r in result.rows}
    assert by_line[2].ok and by_line[2].values == {"leaf_count": 6, "vigour": 3}
    assert "Leaves must be a whole number." in by_line[3].errors
    assert by_line[4].errors == ["No plant VFT-404 in this experiment."]
    assert by_line[5].errors == ["VFT-001 week 1 is also on line 2."]
    assert "has not begun" in by_line[6].errors[0]
    assert by_line[7].errors == ["The row has no measurements."]
    assert _count(session, exp) == 0
    with pytest.raises(ImportRejected) as exc:
        import_measurements(session, experiment_id=exp.id, data=data, actor=admin,
                            dry_run=False)
    assert exc.value.result.error_count == 5
    assert _count(session, exp) == 0


def test_import_writes_all_rows_dated_by_week_and_logged(session):
    exp, plants = _trial(session)
    admin = f.make_user(session, "admin")
    data = ("\ufeffplant_code,week,leaf_count,trap_count,vigour\r\n\r\n"
            "VFT-001,1,6,2,3\r\nVFT-001,2,7,,4\r\nVFT-002,1,5,1,3\r\n").encode()
    result = import_measurements(session, experiment_id=exp.id, data=data, actor=admin,
                                 dry_run=False)
    assert result.created == 3 and result.columns == ["leaf_count", "trap_count", "vigour"]
    rows = {(m.plant_id, m.week_number): m for m in session.scalars(
        select(PlantMetric).where(PlantMetric.week_number > 0))}
    week2 = rows[(plants[0].id, 2)]
    assert week2.values == {"leaf_count": 7, "vigour": 4}
    assert abs((week2.recorded_at - exp.started_at) - timedelta(weeks=2)) < timedelta(seconds=1)
    summaries = list(session.scalars(select(Event.summary).where(
        Event.plant_id == plants[0].id, Event.kind == "plant.measured")))
    assert "Week 2 (imported): leaf_count 7, vigour 4" in summaries
    again = import_measurements(session, experiment_id=exp.id, data=data, actor=admin)
    assert all("already has week" in r.errors[0] for r in again.rows)


def test_windows_1252_and_week_number_header(session):
    exp, _plants = _trial(session)
    admin = f.make_user(session, "admin")
    data = "plant_code;x\n".encode("cp1252")  # not our header
    with pytest.raises(Invalid):
        import_measurements(session, experiment_id=exp.id, data=data, actor=admin)
    data = "plant_code,week_number,colour,vigour\nVFT-001,1,red,3\n".encode("cp1252")
    result = import_measurements(session, experiment_id=exp.id, data=data, actor=admin)
    assert result.rows[0].ok and result.rows[0].values["colour"] == "red"
    bad = "plant_code,week,colour,vigour\nVFT-001,1,rouge é,3\n".encode("cp1252")
    result = import_measurements(session, experiment_id=exp.id, data=bad, actor=admin)
    assert "choose one of" in result.rows[0].errors[0]


def test_header_problems_and_caps(session):
    exp, _plants = _trial(session)
    admin = f.make_user(session, "admin")
    with pytest.raises(Invalid) as exc:
        import_measurements(session, experiment_id=exp.id, data=b"plant_code,leaves\n",
                            actor=admin)
    assert any("Missing column(s): week." in m for m in exc.value.errors["file"])
    assert any("Unknown column(s): leaves." in m for m in exc.value.errors["file"])
    with pytest.raises(Invalid):
        import_measurements(session, experiment_id=exp.id,
                            data=b"plant_code,week,vigour\n\n", actor=admin)
    many = b"plant_code,week,vigour\n" + b"VFT-001,1,3\n" * (MAX_ROWS + 1)
    with pytest.raises(Invalid) as exc:
        import_measurements(session, experiment_id=exp.id, data=many, actor=admin)
    assert "2,000" in exc.value.errors["file"][0]
    with pytest.raises(FileTooLarge):
        import_measurements(session, experiment_id=exp.id,
                            data=b"plant_code,week\n" + b"x" * (2 * 1024 * 1024), actor=admin)


def test_draft_takes_only_baselines_and_removed_plants_only_earlier_weeks(session):
    draft = f.make_experiment(session)
    p = f.make_plant(session, draft, code="VFT-100")
    admin = f.make_user(session, "admin")
    result = import_measurements(session, experiment_id=draft.id, actor=admin,
                                 data=b"plant_code,week,vigour\nVFT-100,0,3\nVFT-100,1,3\n")
    assert result.rows[0].ok and "only week 0" in result.rows[1].errors[0]
    exp, plants = _trial(session)
    remove_plant(session, plant_uuid=plants[2].uuid, reason="died", actor=admin)
    plants[2].removed_at = exp.started_at + timedelta(weeks=1, days=3)
    result = import_measurements(session, experiment_id=exp.id, actor=admin,
                                 data=b"plant_code,week,vigour\nVFT-003,1,3\nVFT-003,2,3\n")
    assert result.rows[0].ok
    assert result.rows[1].errors == ["VFT-003 was removed before week 2."]
    assert p.id
