"""The audit chain on both engines: a canonical, keyed hash that survives JSONB, the version
1 rows written before it, and signed checkpoints that catch a cut tail, an emptied table
and a re-hashed rewrite (issue 12, items 2 and 3)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, insert, select, text, update

from growapp.models import AuditLog, Lot, PlantMetric, utcnow
from growapp.services import audit
from growapp.services import audit_checkpoints as checkpoints
from growapp.services.audit import canonical, walk_chain
from tests.helpers import factories as f
from tests.helpers.settings import AUDIT_KEY

TRICKY = {
    "neg_zero": -0.0, "big": 1e20, "huge": 1.5e300, "tiny": 1e-7, "sum": 0.1 + 0.2,
    "long": 3.141592653589793, "int_big": 12345678901234567890123, "int": 7, "zero": 0,
    "unicode": "Dionaea müscipula — 捕蝇草 🪴 \u00e9 vs e\u0301", "empty": "", "none": None,
    "flag": True, "nested": {"b": [1, 2.50, {"z": -0.0, "a": [[], {}]}], "a": {"x": "y"}},
    "list": [1e20, -1.0e-300, "1e20", False],
}


def _audit_rows(session, table):
    return session.scalars(select(AuditLog).where(AuditLog.table_name == table)
                           .order_by(AuditLog.id)).all()


def test_canonical_form_ignores_what_jsonb_rewrites():
    assert canonical(-0.0) == canonical(0) == canonical(0.0) == "0"
    assert canonical(1e20) == canonical(100000000000000000000) == "1e20"
    assert canonical(1.5e300) == canonical(15 * 10**299)
    assert canonical(2.5) == canonical(2.50) != canonical(2.05)
    assert canonical(0.1 + 0.2) != canonical(0.3)
    assert canonical({"b": 1, "a": [True, None]}) == canonical({"a": [True, None], "b": 1.0})
    assert canonical("1") != canonical(1) and canonical(True) != canonical(1)
    assert canonical("é") != canonical("e\u0301")  # no Unicode normalisation


def test_tricky_numbers_and_text_round_trip_through_the_database_and_verify(session):
    exp = f.make_experiment(session)
    recipe = f.make_recipe(session, exp)
    plant = f.make_plant(session, exp)
    session.add(Lot(experiment_id=exp.id, recipe_id=recipe.id, code="L-0", ec=-0.0, ph=0.0))
    metric = PlantMetric(plant_id=plant.id, week_number=1, values=dict(TRICKY))
    session.add(metric)
    session.flush()
    metric.values = {**TRICKY, "big": 2e20, "neg_zero": 0.0}
    session.flush()
    session.expire_all()
    stored = _audit_rows(session, "plant_metrics")
    assert [r.action for r in stored][-2:] == ["insert", "update"]
    assert all(r.hash_version == 2 for r in stored)
    assert stored[-2].changes["values"][1]["nested"]["a"] == {"x": "y"}
    assert stored[-2].changes["values"][1]["unicode"] == TRICKY["unicode"]
    if session.get_bind().dialect.name == "postgresql":  # what broke: JSONB rewrote these
        raw = session.scalar(text("SELECT changes::text FROM audit_log WHERE id = :id"),
                             {"id": stored[-2].id})
        assert "1e+20" not in raw and "100000000000000000000" in raw
    report = walk_chain(session)
    assert report.ok, report.problem
    assert report.versions.get(2, 0) >= 3


def _legacy_row(prev: str, n: int) -> dict:
    row = {"at": utcnow(), "user_id": None, "action": "insert", "table_name": "legacy",
           "row_id": str(n), "changes": {"ec": [None, 1.25 * n]}, "request_id": "old",
           "ip": "", "reason": ""}
    row["prev_hash"] = prev
    row["hash"] = audit._row_hash_v1(prev, row)
    row["hash_version"] = 1
    return row


def _empty_chain(session):
    session.execute(delete(AuditLog))


def test_rows_written_before_keyed_hashes_still_verify_as_version_1(session):
    _empty_chain(session)
    prev = audit.GENESIS
    for n in range(3):
        row = _legacy_row(prev, n)
        session.execute(insert(AuditLog), row)
        prev = row["hash"]
    f.make_user(session, "viewer")  # written now: version 2, chained after the old rows
    report = walk_chain(session)
    assert report.ok and report.versions[1] == 3 and report.versions[2] >= 1
    # An unkeyed row after keyed ones is a rewrite, however well it is hashed.
    last = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    session.execute(insert(AuditLog), _legacy_row(last.hash, 99))
    report = walk_chain(session)
    assert not report.ok and "version 1" in report.problem


def test_a_rewrite_re_hashed_without_the_key_is_caught(session):
    exp = f.make_experiment(session)
    for n in range(3):
        f.make_recipe(session, exp, code=f"RW{n}")
    rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    victim = rows[-3]
    forged = dict(victim.changes, code=[None, "FORGED"])
    # Rewrite the row and re-hash it and every later row, as anyone with the table could,
    # but without GROWAPP_AUDIT_KEY (a guess at the key; or the unkeyed v1 scheme).
    prev = victim.prev_hash
    for r in rows[rows.index(victim):]:
        body = {k: getattr(r, k) for k in audit.FIELDS}
        if r.id == victim.id:
            body["changes"] = forged
        new = audit.row_hash(prev, body, 2, b"guessed-key")
        session.execute(update(AuditLog).where(AuditLog.id == r.id).values(
            changes=body["changes"], prev_hash=prev, hash=new))
        prev = new
    report = walk_chain(session)
    assert not report.ok and report.bad_id == victim.id


@pytest.fixture
def chain(session):
    exp = f.make_experiment(session)
    for n in range(4):
        f.make_recipe(session, exp, code=f"CP{n}")
    session.flush()
    return session


def test_checkpoint_signs_the_head_and_a_clean_chain_reaches_it(chain):
    cp = checkpoints.make_checkpoint(chain)
    assert checkpoints.check(chain, cp) == ""
    f.make_user(chain, "viewer")  # the chain grows after the checkpoint: still fine
    assert checkpoints.check(chain, checkpoints.parse(checkpoints.dumps(cp))) == ""
    assert cp["sig"] and cp["head_hash"] != audit.GENESIS and cp["count"] >= 4
    assert "bad signature" in checkpoints.check(chain, {**cp, "count": cp["count"] - 1})
    assert "bad signature" in checkpoints.check(chain, cp, key="another-key-" * 3)


def test_checkpoint_reports_a_cut_tail(chain):
    cp = checkpoints.make_checkpoint(chain)
    chain.execute(delete(AuditLog).where(AuditLog.id > cp["head_id"] - 2))
    assert walk_chain(chain).ok  # the hashes alone cannot see it
    assert "tail was cut" in checkpoints.check(chain, cp)


def test_checkpoint_reports_an_emptied_table(chain):
    cp = checkpoints.make_checkpoint(chain)
    chain.execute(delete(AuditLog))
    assert walk_chain(chain).ok
    assert "emptied" in checkpoints.check(chain, cp)


def test_checkpoint_reports_a_rewrite_re_hashed_with_the_key(chain):
    """Even someone holding the key (or re-hashing the old unkeyed rows) cannot reach the
    signed head again after changing history."""
    cp = checkpoints.make_checkpoint(chain)
    rows = chain.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    prev = rows[-3].prev_hash
    for r in rows[-3:]:
        body = {k: getattr(r, k) for k in audit.FIELDS}
        body["ip"] = "6.6.6.6"
        new = audit.row_hash(prev, body, 2, AUDIT_KEY.encode())
        chain.execute(update(AuditLog).where(AuditLog.id == r.id).values(
            ip="6.6.6.6", prev_hash=prev, hash=new))
        prev = new
    assert walk_chain(chain).ok
    assert "rewritten" in checkpoints.check(chain, cp)


def test_no_checkpoint_of_a_broken_chain(chain):
    from growapp.services.errors import Conflict

    victim = chain.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    chain.execute(update(AuditLog).where(AuditLog.id == victim.id).values(reason="forged"))
    with pytest.raises(Conflict):
        checkpoints.make_checkpoint(chain)


def test_checkpoint_line_is_plain_json():
    from growapp.services.errors import Invalid

    with pytest.raises(Invalid):
        checkpoints.parse("not json")
    cp = {"format": 1, "at": "2026-12-01T10:00:00+00:00", "head_id": 3, "head_hash": "a" * 64,
          "count": 3, "sig": "b" * 64}
    assert checkpoints.parse(json.dumps(cp)) == cp
