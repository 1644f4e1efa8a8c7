from sqlalchemy import select, update

from growapp.models import AuditLog, Event
from growapp.services import experiments as svc
from growapp.services.audit import verify_chain
from tests.helpers import factories as f


def _rows_for(session, table, row_id):
    return session.scalars(select(AuditLog).where(
        AuditLog.table_name == table, AuditLog.row_id == str(row_id)).order_by(AuditLog.id)).all()


def test_every_change_is_audited_with_who_and_diff(session):
    op = f.make_user(session, "operator")
    session.info.update(actor_id=op.id, request_id="req-1", ip="10.0.0.1")
    exp = svc.create_experiment(session, actor=op, name="Audit me")
    svc.update_experiment(session, experiment_id=exp.id, actor=op, name="Audited")
    session.flush()
    rows = _rows_for(session, "experiments", exp.id)
    assert [r.action for r in rows] == ["insert", "update"]
    assert rows[0].user_id == op.id and rows[0].request_id == "req-1" and rows[0].ip == "10.0.0.1"
    assert rows[1].changes == {"name": ["Audit me", "Audited"]}
    # Events are the activity stream, not audited data.
    assert session.scalar(select(Event).where(Event.experiment_id == exp.id)) is not None
    assert session.scalar(select(AuditLog).where(AuditLog.table_name == "events")) is None


def test_deletes_and_secrets(session):
    user = f.make_user(session, "viewer")
    insert_row = _rows_for(session, "users", user.id)[0]
    assert insert_row.changes["password_hash"] == [None, "***"]
    session.delete(user)
    session.flush()
    rows = _rows_for(session, "users", user.id)
    assert rows[-1].action == "delete" and rows[-1].changes["email"][1] is None


def test_chain_verifies_and_detects_tampering(session):
    op = f.make_user(session, "operator")
    for i in range(3):
        svc.create_experiment(session, actor=op, name=f"Chain {i}")
    session.flush()
    ok, checked, bad = verify_chain(session)
    assert ok and bad is None and checked >= 4
    victim = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(2)).all()[-1]
    session.execute(update(AuditLog).where(AuditLog.id == victim.id)
                    .values(changes={"name": [None, "forged"]}))
    ok, _checked, bad = verify_chain(session)
    assert not ok and bad == victim.id
