"""API: GET/PATCH/void of feedings, measurements, notes and adverse events (shapes, 403,
404, 409, 412 with If-Match, 422), and the voided data gone from the queue."""

import pytest

from growapp.services import observations as obs_svc
from growapp.services.metrics import record_metrics
from tests.helpers import factories as f

AMEND_FIELDS = {"voided_at", "void_reason", "corrected_at", "correction_reason",
                "amended_by_id"}


@pytest.fixture
def owner(api_token):
    user, raw = api_token("operator")
    return user, {"Authorization": f"Bearer {raw}"}


def test_feeding_patch_void_and_queue(client, owner, api_token, session):
    user, headers = owner
    exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    log = client.post(f"/api/v1/plants/{plants[0].uuid}/feed", json={"amount": 400},
                      headers=headers).json
    assert set(log) >= AMEND_FIELDS and log["voided_at"] is None
    got = client.get(f"/api/v1/feedings/{log['id']}", headers=headers)
    assert got.status_code == 200 and got.headers["ETag"]
    stale = client.patch(f"/api/v1/feedings/{log['id']}", json={"reason": "x", "amount": 40},
                         headers={**headers, "If-Match": '"0000"'})
    assert stale.status_code == 412
    patched = client.patch(f"/api/v1/feedings/{log['id']}",
                           json={"reason": "meant 40", "amount": 40},
                           headers={**headers, "If-Match": got.headers["ETag"]})
    assert patched.status_code == 200
    assert patched.json["amount_ml"] == 40 and patched.json["correction_reason"] == "meant 40"
    assert patched.json["amended_by_id"] == user.id and patched.json["corrected_at"]
    assert client.patch(f"/api/v1/feedings/{log['id']}", json={"reason": "x"},
                        headers=headers).status_code == 422  # nothing to change
    assert client.patch(f"/api/v1/feedings/{log['id']}", json={"amount": 3},
                        headers=headers).status_code == 422  # no reason
    empty = client.post(f"/api/v1/feedings/{log['id']}/void", json={"reason": " "},
                        headers=headers)
    assert empty.status_code == 422 and "reason" in empty.json["errors"]
    _other, raw = api_token("operator")
    other = {"Authorization": f"Bearer {raw}"}
    assert client.post(f"/api/v1/feedings/{log['id']}/void", json={"reason": "x"},
                       headers=other).status_code == 403
    _viewer, raw = api_token("viewer")
    assert client.post(f"/api/v1/feedings/{log['id']}/void", json={"reason": "x"},
                       headers={"Authorization": f"Bearer {raw}"}).status_code == 403
    queue = f"/api/v1/experiments/{exp.id}/feeding/queue"
    assert client.get(queue, headers=headers).json["count"] == 1
    voided = client.post(f"/api/v1/feedings/{log['id']}/void", json={"reason": "wrong plant"},
                         headers=headers)
    assert voided.status_code == 200 and voided.json["voided_at"]
    assert voided.json["void_reason"] == "wrong plant"
    assert client.get(queue, headers=headers).json["count"] == 2  # due again
    again = client.post(f"/api/v1/feedings/{log['id']}/void", json={"reason": "x"},
                        headers=headers)
    assert again.status_code == 409 and again.json["diagnostics"]["voided"] is True
    assert client.get(f"/api/v1/plants/{plants[0].uuid}/feeding/recent",
                      headers=headers).json["count"] == 0
    assert client.get("/api/v1/feedings/999999", headers=headers).status_code == 404
    assert client.post("/api/v1/feedings/999999/void", json={"reason": "x"},
                       headers=headers).status_code == 404


def test_metric_note_and_adverse_routes(client, owner, session):
    user, headers = owner
    exp, _t, plants, _r = f.make_running_experiment(session)
    m = record_metrics(session, plant_uuid=plants[0].uuid, week_number=1,
                       values={"vigour": 2}, actor=user)
    note = obs_svc.add_note(session, plant_uuid=plants[0].uuid, text="teh", actor=user)
    issue = obs_svc.report_adverse(session, plant_uuid=plants[0].uuid, kind="pest", severity=2,
                                   actor=user)
    session.commit()
    got = client.get(f"/api/v1/metrics/{m.id}", headers=headers).json
    assert got["plant_uuid"] == str(plants[0].uuid) and got["week_number"] == 1
    bad = client.patch(f"/api/v1/metrics/{m.id}", json={"reason": "x", "values": {"vigour": 9}},
                       headers=headers)
    assert bad.status_code == 422 and "vigour" in bad.json["errors"]
    ok = client.patch(f"/api/v1/metrics/{m.id}", json={"reason": "misread",
                                                       "values": {"vigour": 4}},
                      headers=headers)
    assert ok.status_code == 200 and ok.json["values"]["vigour"] == 4
    assert client.post(f"/api/v1/metrics/{m.id}/void", json={"reason": "dup"},
                       headers=headers).json["voided_at"]

    fixed = client.patch(f"/api/v1/notes/{note.id}", json={"reason": "typo", "text": "the"},
                         headers=headers)
    assert fixed.status_code == 200 and fixed.json["text"] == "the"
    assert client.post(f"/api/v1/notes/{note.id}/void", json={"reason": "x"},
                       headers=headers).status_code == 200
    assert client.get(f"/api/v1/notes/{note.id}", headers=headers).json["voided_at"]

    # the existing resolve contract still works, and corrections need a reason
    resolved = client.patch(f"/api/v1/adverse-events/{issue.id}", json={"resolved": True},
                            headers=headers)
    assert resolved.status_code == 200 and resolved.json["resolved_at"]
    assert {"id", "kind", "severity", "notes", "observed_at", "resolved_at"} <= set(
        resolved.json)
    assert client.patch(f"/api/v1/adverse-events/{issue.id}", json={"severity": 1},
                        headers=headers).status_code == 422
    assert client.patch(f"/api/v1/adverse-events/{issue.id}", json={},
                        headers=headers).status_code == 422
    corrected = client.patch(f"/api/v1/adverse-events/{issue.id}",
                             json={"severity": 1, "kind": "stress", "reason": "not pests"},
                             headers=headers)
    assert corrected.status_code == 200
    assert (corrected.json["kind"], corrected.json["severity"]) == ("stress", 1)
    etag = client.get(f"/api/v1/adverse-events/{issue.id}", headers=headers).headers["ETag"]
    assert client.post(f"/api/v1/adverse-events/{issue.id}/void", json={"reason": "x"},
                       headers={**headers, "If-Match": '"stale"'}).status_code == 412
    gone = client.post(f"/api/v1/adverse-events/{issue.id}/void", json={"reason": "none"},
                       headers={**headers, "If-Match": etag})
    assert gone.status_code == 200 and gone.json["voided_at"]
    assert client.get(f"/api/v1/experiments/{exp.id}/report", headers=headers
                      ).json["adverse_events"] == {}


def test_routes_are_in_the_openapi_document(client, owner):
    _user, headers = owner
    paths = client.get("/api/v1/openapi.json", headers=headers).json["paths"]
    for path in ("/feedings/{log_id}", "/feedings/{log_id}/void", "/metrics/{metric_id}",
                 "/metrics/{metric_id}/void", "/notes/{note_id}", "/notes/{note_id}/void",
                 "/adverse-events/{adverse_id}/void"):
        assert f"/api/v1{path}" in paths, path
    feeding = paths["/api/v1/feedings/{log_id}"]
    assert "patch" in feeding and "get" in feeding
    assert any(p["name"] == "If-Match" for p in feeding["patch"]["parameters"])


def test_api_log_feeding_twice_is_not_asked(client, owner, session):
    _user, headers = owner
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    for _ in range(2):
        assert client.post(f"/api/v1/plants/{plants[0].uuid}/feed", json={},
                           headers=headers).status_code == 201
