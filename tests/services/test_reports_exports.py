"""Report numbers against a hand-computed fixture; export column sets and row counts."""

import csv
import io
from datetime import timedelta

import pytest

from growapp.models import FeedingLog, PlantMetric, RotationLog, utcnow
from growapp.services import exports
from growapp.services.observations import report_adverse
from growapp.services.plants import remove_plant
from growapp.services.reports import answer_in_words, build_report, summarise
from tests.helpers import factories as f
from tests.helpers.reports import report_trial, tray_trial


def test_summarise_uses_sample_sd():
    cell = summarise([4.0, 6.0])
    assert (cell.n, cell.mean, round(cell.sd, 6)) == (2, 5.0, round(2 ** 0.5, 6))
    assert summarise([3.0]).sd is None and summarise([]).mean is None


def test_change_from_baseline_by_recipe(session):
    exp, _plants, _trays, _recipes = report_trial(session)
    report = build_report(session, experiment_id=exp.id)
    leaves = next(m for m in report.metrics if m.key == "leaf_count")
    r0, r1 = leaves.cells[("", "R0", 1)], leaves.cells[("", "R1", 1)]
    assert (r0.n, r0.mean, round(r0.sd, 4)) == (2, 1.5, 0.7071)  # +2, +1
    assert (r1.n, r1.mean, round(r1.sd, 4)) == (2, 5.0, 1.4142)  # +4, +6
    assert leaves.difference("", "R1", 1) == 3.5
    by_grade = build_report(session, experiment_id=exp.id, split="grade")
    leaves = next(m for m in by_grade.metrics if m.key == "leaf_count")
    assert leaves.strata == ["A", "B"]
    assert leaves.cells[("A", "R1", 1)].mean == 4.0 and leaves.cells[("B", "R0", 1)].mean == 1.0


def test_removed_plants_stay_in_their_recipe(session):
    exp, plants, _trays, _recipes = report_trial(session)
    op = f.make_user(session)
    session.add(FeedingLog(plant_id=plants["d"].id, tray_id=_trays[1].id, recipe_id=None,
                           status="fed", fed_at=utcnow() - timedelta(days=2)))
    session.flush()
    remove_plant(session, plant_uuid=plants["d"].uuid, reason="died", actor=op)
    leaves = next(m for m in build_report(session, experiment_id=exp.id).metrics
                  if m.key == "leaf_count")
    assert leaves.cells[("", "R1", 1)].n == 2  # analysed by assignment


def test_feeding_compliance_and_adverse(session):
    exp, plants, trays, _recipes = report_trial(session)
    # 15 days, window 7 → 2 complete windows per plant. a fed in both, c in one.
    start = exp.started_at
    for plant, day in (("a", 1), ("a", 8), ("c", 3)):
        session.add(FeedingLog(plant_id=plants[plant].id, status="fed",
                               fed_at=start + timedelta(days=day)))
    report_adverse(session, plant_uuid=plants["c"].uuid, kind="pest", severity=2,
                   actor=f.make_user(session))
    session.flush()
    report = build_report(session, experiment_id=exp.id)
    assert report.feeding["R0"] == {"windows": 4, "fed_windows": 2, "percent": 50.0}
    assert report.feeding["R1"] == {"windows": 4, "fed_windows": 1, "percent": 25.0}
    assert report.adverse == {"R1": {"pest": 1, "open": 1}}


def test_empty_experiment_is_an_empty_state(session):
    exp = f.make_experiment(session)
    report = build_report(session, experiment_id=exp.id)
    assert report.empty and report.feeding == {} and report.allocation is None


def _read(rows) -> list[dict]:
    text = "".join(exports.to_csv(rows))
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("name", list(exports.EXPORTS))
def test_export_columns_are_stable(session, name):
    exp, _p, _t, _r = report_trial(session)
    text = "".join(exports.to_csv(exports.EXPORTS[name](session, exp.id)))
    assert text.splitlines()[0].split(",") == exports.COLUMNS[name]


def test_metrics_export_is_tidy_long_with_slot_history(session):
    exp, plants, trays, _r = report_trial(session)
    other = f.make_tent(session, exp, "TN2", positions=1).slots[0]
    # TR1 moved to TN2 before the week-1 measurements were recorded
    session.add(RotationLog(tray_id=trays[0].id, from_slot_id=trays[0].slot_id,
                            to_slot_id=other.id, moved_at=utcnow() - timedelta(days=1)))
    for m in session.query(PlantMetric).filter(PlantMetric.week_number == 0):
        m.recorded_at = utcnow() - timedelta(days=10)
    session.flush()
    rows = _read(exports.metrics_rows(session, exp.id))
    assert len(rows) == 4 * 2 * 2  # plants × weeks × metrics
    a = [r for r in rows if r["plant_code"] == "VFT-a" and r["metric"] == "leaf_count"]
    assert [(r["week_number"], r["value"], r["recipe"], r["slot"]) for r in a] == [
        ("0", "4", "R0", "TN1-S1-P1"), ("1", "6", "R0", "TN2-S1-P1")]
    assert a[0]["category"] == "flytrap" and a[0]["grade"] == "A"


def test_plants_and_feedings_exports(session):
    exp, plants, trays, _r = report_trial(session)
    session.add(FeedingLog(plant_id=plants["a"].id, tray_id=trays[0].id, status="fed",
                           amount_ml=50.0, fed_at=utcnow()))
    session.flush()
    plant_rows = _read(exports.plants_rows(session, exp.id))
    assert [r["plant_code"] for r in plant_rows] == ["VFT-a", "VFT-b", "VFT-c", "VFT-d"]
    assert plant_rows[2]["recipe"] == "R1" and plant_rows[2]["tray"] == "TR2"
    feeds = _read(exports.feedings_rows(session, exp.id))
    assert len(feeds) == 1 and feeds[0]["amount_ml"] == "50" and feeds[0]["tray"] == "TR1"


def test_schedule_compliance(session):
    from growapp.services.schedules.completion import mark_occurrence
    from growapp.services.schedules.manage import create_schedule

    exp, plants, trays, _r = report_trial(session)
    op = f.make_user(session)
    start = exp.started_at.date()
    schedule = create_schedule(session, experiment_id=exp.id, actor=op, action_type="water",
                               title="Water", timeframe="morning",
                               rule={"kind": "interval", "every_days": 1}, start_date=start,
                               scope={"type": "tray", "ids": [trays[0].id]})
    mark_occurrence(session, schedule_id=schedule.id, actor=op, date=start, status="done")
    mark_occurrence(session, schedule_id=schedule.id, actor=op,
                    date=start + timedelta(days=1), status="skipped", reason="rain")
    report = build_report(session, experiment_id=exp.id)
    counts = report.schedules["water"]
    assert (counts["done"], counts["skipped"]) == (1, 1)
    assert counts["missed"] == (utcnow().date() - start).days - 2


def test_report_contrasts_are_tray_level_and_the_week_under_way_is_marked(session):
    exp, week1 = tray_trial(session)
    report = build_report(session, experiment_id=exp.id)
    assert report.weeks_in_progress == [2] and report.in_progress[2] == (9, 12)
    assert report.answer_week == 1
    leaves = next(m for m in report.metrics if m.key == "leaf_count")
    fit = leaves.fits[("", 1)]
    (c,) = fit.contrasts
    means = {code: sum(v) / len(v) for code, v in week1.items()}
    expected = (means["TR3"] + means["TR4"]) / 2 - (means["TR1"] + means["TR2"]) / 2
    assert c.estimate == pytest.approx(expected)
    assert c.n_units == {"R0": 2, "R1": 2} and c.n_plants == {"R0": 6, "R1": 6}
    assert fit.df == 2 and c.ci_low < c.estimate < c.ci_high
    (sentence,) = answer_in_words(leaves, 1)
    assert sentence.startswith(f"After 1 week R1 plants gained {expected:.1f} more leaves "
                               "than R0 (95% CI ")
    assert "2 trays each" in sentence and "p = " in sentence
    week2 = leaves.fits[("", 2)]  # only TR3 of R1 measured: still a fit, on fewer trays
    assert week2.trays == {"R0": 2, "R1": 1}
