"""Rotating GROWAPP_AUDIT_KEY keeps the chain verifiable (issue 12): rows keep the key they
were written with, GROWAPP_AUDIT_KEY_PREVIOUS lists the older keys (oldest first), and
the walk only ever moves on to a newer key, so a rewrite is still caught — with no key,
with a guessed key, or by someone who kept the old key. Checkpoints carry the id of the
key that signed them. Services on the test transaction; the command on its own database."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.models import AuditLog
from growapp.services import audit
from growapp.services import audit_checkpoints as checkpoints
from growapp.services.audit import key_id, walk_chain
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database
from tests.helpers.settings import AUDIT_KEY, app_settings

NEW_KEY = "the-new-audit-key-after-rotation-0123456789abcdef"
THIRD_KEY = "a-third-audit-key-after-another-rotation-987654321"


@pytest.fixture(autouse=True)
def default_key_restored():
    yield
    audit.use_key(AUDIT_KEY)  # apps made here set the process-wide default key


def _rewrite(session, row, key: bytes, **changes):
    body = {k: getattr(row, k) for k in audit.FIELDS}
    body.update(changes)
    session.execute(update(AuditLog).where(AuditLog.id == row.id).values(
        hash=audit.row_hash(row.prev_hash, body, 2, key), **changes))


@pytest.fixture
def rotated(session):
    """Rows written with the test key, a checkpoint, then rows written with NEW_KEY."""
    exp = f.make_experiment(session)
    f.make_recipe(session, exp, code="OLD1")
    session.flush()
    before = checkpoints.make_checkpoint(session)
    last_old = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    session.info["audit_key"] = NEW_KEY  # the app restarted with the new key
    f.make_recipe(session, exp, code="NEW1")
    f.make_recipe(session, exp, code="NEW2")
    session.flush()
    return session, before, last_old


def test_after_rotation_old_rows_verify_with_the_old_key_new_rows_with_the_new(rotated):
    session, before, last_old = rotated
    report = walk_chain(session, key=NEW_KEY, previous=[AUDIT_KEY])
    assert report.ok, report.problem
    assert list(report.keys) == [key_id(AUDIT_KEY), key_id(NEW_KEY)]  # oldest first
    assert report.keys[key_id(NEW_KEY)] >= 2
    new_rows = session.scalars(select(AuditLog).where(AuditLog.id > last_old)).all()
    assert all(r.hash == audit.row_hash(r.prev_hash, {k: getattr(r, k) for k in audit.FIELDS},
                                        2, NEW_KEY.encode()) for r in new_rows)
    # the checkpoint signed before the rotation still checks, with the previous key
    assert checkpoints.check(session, before, key=NEW_KEY, previous=[AUDIT_KEY]) == ""
    after = checkpoints.make_checkpoint(session, key=NEW_KEY, previous=[AUDIT_KEY])
    assert after["format"] == 2 and after["kid"] == key_id(NEW_KEY)
    assert checkpoints.check(session, after, key=NEW_KEY, previous=[AUDIT_KEY]) == ""
    # a second rotation: both earlier keys are previous, oldest first
    assert walk_chain(session, key=THIRD_KEY, previous=[AUDIT_KEY, NEW_KEY]).ok
    # without the previous key the old rows cannot be checked
    alone = walk_chain(session, key=NEW_KEY)
    assert not alone.ok and "GROWAPP_AUDIT_KEY_PREVIOUS" in alone.problem


def test_a_rewrite_after_rotation_is_still_caught(rotated):
    session, _before, last_old = rotated
    # re-hashed by someone who kept the old key: retired once a newer key signed a row
    last = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    _rewrite(session, last, AUDIT_KEY.encode(), ip="6.6.6.6")
    report = walk_chain(session, key=NEW_KEY, previous=[AUDIT_KEY])
    assert not report.ok and report.bad_id == last.id and "retired" in report.problem
    # re-hashed with a guessed key
    new_row = session.scalars(select(AuditLog).where(AuditLog.id > last_old)
                              .order_by(AuditLog.id)).first()
    _rewrite(session, new_row, b"a guess", ip="6.6.6.6")
    report = walk_chain(session, key=NEW_KEY, previous=[AUDIT_KEY])
    assert not report.ok and report.bad_id == new_row.id


def test_every_row_since_rotation_re_hashed_with_the_old_key_fails_a_checkpoint(rotated):
    """All rows since the rotation rewritten with the old key walk like a chain that was
    never rotated; a checkpoint taken after the rotation (the README says: right after
    restarting with the new key) still catches it."""
    session, _before, last_old = rotated
    after = checkpoints.make_checkpoint(session, key=NEW_KEY, previous=[AUDIT_KEY])
    prev = None
    for row in session.scalars(select(AuditLog).where(AuditLog.id > last_old)
                               .order_by(AuditLog.id)).all():
        prev = prev or row.prev_hash
        body = {k: getattr(row, k) for k in audit.FIELDS} | {"ip": "6.6.6.6"}
        new = audit.row_hash(prev, body, 2, AUDIT_KEY.encode())
        session.execute(update(AuditLog).where(AuditLog.id == row.id).values(
            ip="6.6.6.6", prev_hash=prev, hash=new))
        prev = new
    assert walk_chain(session, key=NEW_KEY, previous=[AUDIT_KEY]).ok
    assert "rewritten" in checkpoints.check(session, after, key=NEW_KEY, previous=[AUDIT_KEY])


def test_an_old_row_rewritten_with_the_new_key_is_caught(rotated):
    """Whoever holds only the new key cannot re-sign history from before the rotation
    without breaking the next old row (and the checkpoint)."""
    session, before, last_old = rotated
    first = session.scalars(select(AuditLog).order_by(AuditLog.id)).first()
    _rewrite(session, first, NEW_KEY.encode(), reason="forged")
    report = walk_chain(session, key=NEW_KEY, previous=[AUDIT_KEY])
    assert not report.ok and report.bad_id > first.id  # the next old-key row no longer fits


def test_checkpoints_name_their_key_and_old_lines_still_parse(rotated):
    session, before, _last_old = rotated
    assert before["kid"] == key_id(AUDIT_KEY)
    assert "bad signature" in checkpoints.check(session, before, key=NEW_KEY)  # no previous
    forged = {**before, "kid": key_id(NEW_KEY)}
    assert "bad signature" in checkpoints.check(session, forged, key=NEW_KEY,
                                                previous=[AUDIT_KEY])
    v1 = {k: before[k] for k in checkpoints.FIELDS} | {"format": 1}
    v1["sig"] = checkpoints.sign(v1, AUDIT_KEY.encode())
    assert checkpoints.check(session, checkpoints.parse(json.dumps(v1)), key=NEW_KEY,
                             previous=[AUDIT_KEY]) == ""


def test_flask_audit_rotate_key(tmp_path):
    url, drop = fresh_database("rotate")
    cps = str(tmp_path / "checkpoints")
    apps = []

    def app_with(**keys):
        app = create_app(app_settings(url, AUDIT_CHECKPOINT_FILE=cps,
                                      UPLOAD_DIR=str(tmp_path / "uploads"), **keys))
        apps.append(app)
        return app

    def run(app, *args):
        return app.test_cli_runner().invoke(args=list(args))

    try:
        old = app_with()
        assert run(old, "create-admin", "--email", "a@example.com", "--password",
                   "a long password").exit_code == 0
        out = run(old, "audit", "rotate-key")
        assert out.exit_code == 0, out.output + out.stderr
        new_key = re.search(r"^GROWAPP_AUDIT_KEY=(\w+)$", out.stdout, re.M).group(1)
        previous = re.search(r"^GROWAPP_AUDIT_KEY_PREVIOUS=(\S+)$", out.stdout, re.M).group(1)
        assert previous == AUDIT_KEY and new_key != AUDIT_KEY and len(new_key) >= 32
        assert "Keep every previous key" in out.stderr
        line = json.loads(out.stdout.splitlines()[0])
        assert line["kid"] == key_id(AUDIT_KEY)

        new = app_with(AUDIT_KEY=new_key, AUDIT_KEY_PREVIOUS=(previous,))
        for email in ("b@example.com", "c@example.com"):
            assert run(new, "create-admin", "--email", email, "--password",
                       "a long password").exit_code == 0
        verified = run(new, "audit", "verify")
        assert verified.exit_code == 0, verified.output + verified.stderr
        assert f"with key {key_id(AUDIT_KEY)}" in verified.output
        assert f"with key {key_id(new_key)}" in verified.output
        assert "1 checkpoint(s) reached" in verified.output

        forgot = app_with(AUDIT_KEY=new_key)  # the previous key left out
        assert run(forgot, "audit", "verify").exit_code == 1

        engine = new.extensions["growapp_db"].engine
        with Session(engine) as s:  # someone who kept the old key rewrites the newest row
            row = s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
            _rewrite(s, row, AUDIT_KEY.encode(), ip="6.6.6.6")
            s.commit()
        caught = run(new, "audit", "verify")
        assert caught.exit_code == 1 and "rewritten" in caught.stderr, caught.stderr
    finally:
        for app in apps:
            app.extensions["growapp_db"].engine.dispose()
        drop()
