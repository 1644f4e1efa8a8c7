import pytest

from growapp.services import experiments as svc
from growapp.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.helpers import factories as f


def test_create_and_list(session):
    op = f.make_user(session, "operator")
    exp = svc.create_experiment(session, actor=op, name="  Flytrap feed  ",
                                feeding_window_days=5)
    assert exp.name == "Flytrap feed" and exp.status == "draft"
    assert exp.feeding_window_days == 5 and exp.short_name == "Flytrap feed"
    total, rows = svc.list_experiments(session)
    assert total >= 1 and exp in rows


@pytest.mark.parametrize("fields, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "ok", "feeding_window_days": 0}, "feeding_window_days"),
    ({"name": "ok", "feeding_window_days": "soon"}, "feeding_window_days"),
    ({"name": "ok", "short_name": "y" * 25}, "short_name"),
])
def test_create_rejects_bad_input(session, fields, field):
    op = f.make_user(session, "operator")
    with pytest.raises(Invalid) as err:
        svc.create_experiment(session, actor=op, **fields)
    assert field in err.value.errors


def test_viewer_cannot_create(session):
    viewer = f.make_user(session, "viewer")
    with pytest.raises(Forbidden):
        svc.create_experiment(session, actor=viewer, name="Nope")


def test_start_refused_until_ready_with_counts(session):
    op = f.make_user(session, "operator")
    exp = f.make_ready_experiment(session)
    f.make_plant(session, exp, grade=None, baseline=False)  # unplaced, ungraded, no baseline
    with pytest.raises(Conflict) as err:
        svc.start_experiment(session, experiment_id=exp.id, actor=op)
    diag = err.value.diagnostics
    assert diag["readiness"]["needs_grade"] == 1
    assert diag["readiness"]["needs_placement"] == 1
    assert diag["ready_to_start"] is False
    assert "not ready to start" in err.value.detail
    assert exp.status == "draft"


def test_lifecycle(session):
    op = f.make_user(session, "operator")
    exp = f.make_ready_experiment(session)
    svc.start_experiment(session, experiment_id=exp.id, actor=op)
    assert exp.status == "running" and exp.started_at is not None
    with pytest.raises(Conflict):
        svc.start_experiment(session, experiment_id=exp.id, actor=op)
    svc.stop_experiment(session, experiment_id=exp.id, actor=op)
    assert exp.status == "stopped" and exp.stopped_at is not None
    with pytest.raises(Conflict):
        svc.stop_experiment(session, experiment_id=exp.id, actor=op)
    started = exp.started_at
    svc.start_experiment(session, experiment_id=exp.id, actor=op)  # resume
    assert exp.status == "running" and exp.started_at == started and exp.stopped_at is None


def test_missing_experiment(session):
    with pytest.raises(NotFound):
        svc.get_experiment(session, 987654)


def test_update_rejects_unknown_fields(session):
    op = f.make_user(session, "operator")
    exp = f.make_experiment(session)
    with pytest.raises(Invalid) as err:
        svc.update_experiment(session, experiment_id=exp.id, actor=op, status="running")
    assert "status" in err.value.errors
    svc.update_experiment(session, experiment_id=exp.id, actor=op, name="Renamed")
    assert exp.name == "Renamed"
