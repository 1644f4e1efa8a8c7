"""Correct or void a feeding, measurement, note or adverse event after the undo minute:
the logger or an admin, with a reason; the audit log keeps the original; voided rows
leave the queue, the cockpit, readiness, the schedules, the report and the exports."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from growapp.models import AuditLog, Event, FeedingLog, PlantMetric, utcnow
from growapp.services import corrections
from growapp.services import feeding as feed_svc
from growapp.services import observations as obs_svc
from growapp.services.errors import Conflict, Forbidden, Invalid, NotFound
from growapp.services.exports import feedings_rows, metrics_rows
from growapp.services.metrics import record_metrics
from growapp.services.read.cockpit import cockpit
from growapp.services.read.feeding_queue import feeding_queue
from growapp.services.read.readiness import status_summary
from growapp.services.reports import build_report
from growapp.services.schedules import create_schedule, plan
from tests.helpers import factories as f


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


def _audit(session, table, row_id):
    return list(session.scalars(select(AuditLog).where(
        AuditLog.table_name == table, AuditLog.row_id == str(row_id)).order_by(AuditLog.id)))


def test_who_may_amend_and_reason_required(session, op):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    other = f.make_user(session, "operator")
    viewer = f.make_user(session, "viewer")
    for who in (other, viewer):
        with pytest.raises(Forbidden, match="person who logged"):
            corrections.void_record(session, kind="feeding", record_id=log.id, actor=who,
                                    reason="x")
        with pytest.raises(Forbidden):
            corrections.correct_feeding(session, log_id=log.id, actor=who, reason="x",
                                        amount_ml=10)
    for blank in ("", "   ", None):
        with pytest.raises(Invalid) as err:
            corrections.void_record(session, kind="feeding", record_id=log.id, actor=op,
                                    reason=blank)
        assert "reason" in err.value.errors
    with pytest.raises(Invalid):
        corrections.void_record(session, kind="feeding", record_id=log.id, actor=op,
                                reason="x" * 501)
    with pytest.raises(NotFound):
        corrections.void_record(session, kind="feeding", record_id=log.id + 999, actor=op,
                                reason="x")
    with pytest.raises(NotFound):  # the record of another plant, addressed through this one
        corrections.void_record(session, kind="feeding", record_id=log.id, actor=op,
                                reason="x", plant_id=plants[1].id)
    admin = f.make_user(session, "admin")
    corrections.correct_feeding(session, log_id=log.id, actor=admin, reason="typo",
                                amount_ml="40")
    assert log.amount_ml == 40 and log.correction_reason == "typo"
    assert log.amended_by_id == admin.id


def test_void_feeding_makes_the_plant_due_again_and_keeps_the_audit(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session)
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    assert [i.plant_code for i in feeding_queue(session, exp.id).due] == ["VFT-002"]
    assert cockpit(session, plants[0].uuid).last_fed_at is not None
    corrections.void_record(session, kind="feeding", record_id=log.id, actor=op,
                            reason="fed the wrong plant")
    assert log.voided_at is not None and log.void_reason == "fed the wrong plant"
    assert [i.plant_code for i in feeding_queue(session, exp.id).due] == \
        ["VFT-001", "VFT-002"]
    c = cockpit(session, plants[0].uuid)
    assert c.last_fed_at is None and "feed" in [a.key for a in c.actions]
    assert feed_svc.last_feedings(session, plants[0].id) == []
    rows = list(feedings_rows(session, exp.id))
    assert len(rows) == 1  # the header only
    audit = _audit(session, "feeding_logs", log.id)
    assert audit[0].action == "insert" and audit[-1].reason == "fed the wrong plant"
    assert audit[-1].changes["void_reason"] == [None if audit[-1].changes["void_reason"][0]
                                                is None else "", "fed the wrong plant"]
    original = session.scalar(select(Event).where(Event.kind == "plant.fed"))
    assert original.summary.startswith("(voided) ") and original.payload["voided"] is True
    assert session.scalar(select(Event.summary).where(Event.kind == "plant.feeding_voided")) \
        == "Feed voided: fed the wrong plant"
    with pytest.raises(Conflict, match="voided"):
        corrections.void_record(session, kind="feeding", record_id=log.id, actor=op,
                                reason="again")
    with pytest.raises(Conflict, match="voided"):
        corrections.correct_feeding(session, log_id=log.id, actor=op, reason="x", amount_ml=1)


def test_corrected_feeding_is_what_exports_and_report_use(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session)
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, amount_ml=500)
    corrections.correct_feeding(session, log_id=log.id, actor=op, reason="meant 50",
                                amount_ml="50", notes="checked the jug")
    rows = list(feedings_rows(session, exp.id))
    assert rows[1][7] == "50" and rows[1][10] == "checked the jug"
    audit = _audit(session, "feeding_logs", log.id)[-1]
    assert audit.changes["amount_ml"] == [500.0, 50.0] and audit.reason == "meant 50"
    assert session.scalar(select(Event.summary).where(Event.kind == "plant.fed")) == \
        "Fed, 50 ml (corrected)"
    with pytest.raises(Invalid):
        corrections.correct_feeding(session, log_id=log.id, actor=op, reason="x",
                                    amount_ml="-3")


def test_measurements_corrected_and_voided(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session)
    exp.started_at = utcnow() - timedelta(days=8)
    m = record_metrics(session, plant_uuid=plants[0].uuid, week_number=1,
                       values={"vigour": 2}, actor=op)
    assert obs_svc.observe_queue(session, exp.id, 1).done == 1
    corrections.correct_measurement(session, metric_id=m.id, actor=op, reason="misread",
                                    values={"vigour": "4"})
    assert m.values["vigour"] == 4
    with pytest.raises(Invalid):
        corrections.correct_measurement(session, metric_id=m.id, actor=op, reason="x",
                                        values={"vigour": "99"})
    report = build_report(session, experiment_id=exp.id)
    assert report.measured_weeks == [1]
    corrections.void_record(session, kind="measurement", record_id=m.id, actor=op,
                            reason="wrong plant")
    assert obs_svc.observe_queue(session, exp.id, 1).done == 0  # the week is due again
    assert 1 not in cockpit(session, plants[0].uuid).weeks
    assert build_report(session, experiment_id=exp.id).measured_weeks == []
    assert [r for r in metrics_rows(session, exp.id) if r[2] == 1] == []
    # measured again: the same row comes back, live
    again = record_metrics(session, plant_uuid=plants[0].uuid, week_number=1,
                           values={"vigour": 3}, actor=op)
    assert again.id == m.id and again.voided_at is None


def test_baseline_of_a_running_trial_stays_admin_only(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session)
    base = session.scalar(select(PlantMetric).where(PlantMetric.plant_id == plants[0].id))
    base.recorded_by_id = op.id
    with pytest.raises(Forbidden, match="admin"):
        corrections.void_record(session, kind="measurement", record_id=base.id, actor=op,
                                reason="x")
    admin = f.make_user(session, "admin")
    corrections.void_record(session, kind="measurement", record_id=base.id, actor=admin,
                            reason="measured the neighbour")
    assert status_summary(session, exp.id).readiness["needs_baseline"] == 1


def test_notes_and_adverse_events(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session)
    note = obs_svc.add_note(session, plant_uuid=plants[0].uuid, text="aphids?", actor=op)
    corrections.correct_note(session, note_id=note.id, actor=op, reason="typo", text="aphids")
    assert note.text == "aphids"
    assert session.scalar(select(Event.summary).where(Event.kind == "plant.noted")) == \
        "Note: aphids (corrected)"
    with pytest.raises(Invalid):
        corrections.correct_note(session, note_id=note.id, actor=op, reason="x", text=" ")
    corrections.void_record(session, kind="note", record_id=note.id, actor=op, reason="dup")
    assert note.voided_at is not None

    issue = obs_svc.report_adverse(session, plant_uuid=plants[0].uuid, kind="pest",
                                   severity=3, actor=op)
    assert [e.id for e in cockpit(session, plants[0].uuid).open_adverse] == [issue.id]
    corrections.correct_adverse(session, adverse_id=issue.id, actor=op, reason="was stress",
                                kind="stress", severity="1")
    assert (issue.kind, issue.severity) == ("stress", 1)
    report = build_report(session, experiment_id=exp.id)
    assert report.adverse == {"R1": {"stress": 1, "open": 1}}
    with pytest.raises(Invalid):
        corrections.correct_adverse(session, adverse_id=issue.id, actor=op, reason="x",
                                    severity=7)
    corrections.void_record(session, kind="adverse", record_id=issue.id, actor=op,
                            reason="never there")
    assert cockpit(session, plants[0].uuid).open_adverse == []
    assert obs_svc.open_adverse(session, plants[0].id) == []
    assert build_report(session, experiment_id=exp.id).adverse == {}


def test_amendable_lists_own_live_records_for_operators_all_for_admins(session, op):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    mine = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    other = f.make_user(session, "operator")
    theirs = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=other)
    gone = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    corrections.void_record(session, kind="feeding", record_id=gone.id, actor=op, reason="x")
    assert corrections.amendable(session, plant_id=plants[0].id, actor=op)["feeding"] == [mine]
    admin = f.make_user(session, "admin")
    assert {lg.id for lg in corrections.amendable(session, plant_id=plants[0].id,
                                                  actor=admin)["feeding"]} == {mine.id,
                                                                              theirs.id}
    viewer = f.make_user(session, "viewer")
    assert not any(corrections.amendable(session, plant_id=plants[0].id,
                                         actor=viewer).values())


def test_voided_feed_no_longer_completes_the_schedule(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
    today = utcnow().date()
    create_schedule(session, experiment_id=exp.id, actor=op, action_type="feed", title="Feed",
                    timeframe="morning",
                    rule={"kind": "interval", "every_days": 1}, start_date=today,
                    scope={"type": "plant", "ids": [plants[0].id]})
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)

    def status():
        day = plan(session, experiment_id=exp.id, start=today, days=1)["days"][0]
        return day["groups"][0]["actions"][0]["status"]

    assert status() == "done"
    corrections.void_record(session, kind="feeding", record_id=log.id, actor=op, reason="x")
    assert status() == "due"
    assert isinstance(today, date) and session.get(FeedingLog, log.id).voided
