"""Shapes and statuses from API.md for experiments and the shared mechanisms."""


from sqlalchemy import func, select

from growapp.models import Experiment, IdempotencyRecord
from tests.helpers import factories as f


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def test_token_auth_and_list_envelope(client, api_token, session):
    _user, raw = api_token("viewer")
    for i in range(3):
        f.make_experiment(session, name=f"Listed {i}")
    session.commit()
    resp = client.get("/api/v1/experiments?limit=2&offset=1", headers=bearer(raw))
    assert resp.status_code == 200
    body = resp.json
    assert set(body) == {"count", "results", "meta"}
    assert body["count"] >= 3 and len(body["results"]) == 2
    assert body["meta"] == {"limit": 2, "offset": 1}
    first = body["results"][0]
    for key in ("id", "name", "description", "status", "feeding_window_days",
                "randomization_seed", "started_at", "stopped_at"):
        assert key in first


def test_bad_tokens_and_anonymous(client):
    assert client.get("/api/v1/experiments").status_code == 401
    resp = client.get("/api/v1/experiments", headers=bearer("gra_nope"))
    assert resp.status_code == 401 and resp.json["detail"] == "Invalid or revoked API token."


def test_bad_query_is_422(client, api_token):
    _u, raw = api_token("viewer")
    resp = client.get("/api/v1/experiments?limit=0&status=paused", headers=bearer(raw))
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == {"limit", "status"}


def test_create_with_token_needs_no_csrf(client, api_token, session):
    _u, raw = api_token("operator")
    resp = client.post("/api/v1/experiments", json={"name": "API trial"}, headers=bearer(raw),
                       csrf=False)
    assert resp.status_code == 201
    assert resp.json["status"] == "draft" and resp.json["feeding_window_days"] == 7


def test_session_auth_needs_csrf(login_as):
    client = login_as("operator")
    assert client.post("/api/v1/experiments", json={"name": "x"}, csrf=False).status_code == 400
    assert client.post("/api/v1/experiments", json={"name": "x"}).status_code == 201


def test_validation_errors(client, api_token, session):
    _u, raw = api_token("operator")
    before = session.scalar(select(func.count(Experiment.id)))
    resp = client.post("/api/v1/experiments", json={"name": "", "feeding_window_days": 0,
                                                    "colour": "red"}, headers=bearer(raw))
    assert resp.status_code == 422
    assert resp.json["detail"] and set(resp.json["errors"]) == {"name", "feeding_window_days",
                                                                "colour"}
    malformed = client.post("/api/v1/experiments", data="{not json",
                            content_type="application/json", headers=bearer(raw))
    assert malformed.status_code == 422 and "not valid JSON" in malformed.json["detail"]
    not_object = client.post("/api/v1/experiments", json=[1, 2], headers=bearer(raw))
    assert not_object.status_code == 422
    assert session.scalar(select(func.count(Experiment.id))) == before


def test_viewer_token_cannot_write(client, api_token):
    _u, raw = api_token("viewer")
    resp = client.post("/api/v1/experiments", json={"name": "x"}, headers=bearer(raw))
    assert resp.status_code == 403 and resp.json["detail"]


def test_status_summary_shape(client, api_token, session):
    _u, raw = api_token("viewer")
    exp = f.make_ready_experiment(session)
    session.commit()
    resp = client.get(f"/api/v1/experiments/{exp.id}/status/summary", headers=bearer(raw))
    body = resp.json
    assert body["status"] == "draft" and body["ready_to_start"] is True
    assert set(body["setup"]) == {"plants", "tents", "slots", "recipes", "trays", "complete"}
    assert set(body["readiness"]) == {"needs_baseline", "needs_grade", "needs_placement",
                                      "needs_tray_recipe", "needs_tent_restriction"}


def test_start_409_carries_readiness_then_start_and_stop(client, api_token, session):
    _u, raw = api_token("operator")
    exp = f.make_ready_experiment(session)
    extra = f.make_plant(session, exp, grade=None, baseline=True)
    session.commit()
    resp = client.post(f"/api/v1/experiments/{exp.id}/start", headers=bearer(raw))
    assert resp.status_code == 409
    assert resp.json["detail"].startswith(exp.name)
    assert resp.json["diagnostics"]["readiness"]["needs_grade"] == 1
    assert resp.json["diagnostics"]["ready_to_start"] is False
    extra.status = "removed"
    session.commit()
    started = client.post(f"/api/v1/experiments/{exp.id}/start", headers=bearer(raw))
    assert started.status_code == 200 and started.json["status"] == "running"
    stopped = client.post(f"/api/v1/experiments/{exp.id}/stop", headers=bearer(raw))
    assert stopped.status_code == 200 and stopped.json["status"] == "stopped"
    again = client.post(f"/api/v1/experiments/{exp.id}/stop", headers=bearer(raw))
    assert again.status_code == 409 and again.json["diagnostics"]["status"] == "stopped"


def test_etag_and_if_match(client, api_token, session):
    _u, raw = api_token("operator")
    exp = f.make_experiment(session)
    session.commit()
    got = client.get(f"/api/v1/experiments/{exp.id}", headers=bearer(raw))
    etag = got.headers["ETag"]
    assert etag
    not_modified = client.get(f"/api/v1/experiments/{exp.id}",
                              headers={**bearer(raw), "If-None-Match": etag})
    assert not_modified.status_code == 304
    ok = client.patch(f"/api/v1/experiments/{exp.id}", json={"name": "Renamed"},
                      headers={**bearer(raw), "If-Match": etag})
    assert ok.status_code == 200 and ok.json["name"] == "Renamed"
    stale = client.patch(f"/api/v1/experiments/{exp.id}", json={"name": "Clobber"},
                         headers={**bearer(raw), "If-Match": etag})
    assert stale.status_code == 412 and stale.json["detail"]
    session.refresh(exp)
    assert exp.name == "Renamed"


def test_idempotency_key_replays_the_first_response(client, api_token, session):
    _u, raw = api_token("operator")
    headers = {**bearer(raw), "Idempotency-Key": "create-trial-1"}
    first = client.post("/api/v1/experiments", json={"name": "Once"}, headers=headers)
    second = client.post("/api/v1/experiments", json={"name": "Once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count(Experiment.id)).where(Experiment.name == "Once")) == 1
    reused = client.post("/api/v1/experiments", json={"name": "Different"}, headers=headers)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json["errors"]


def test_idempotency_errors_are_not_stored(client, api_token, session):
    _u, raw = api_token("operator")
    headers = {**bearer(raw), "Idempotency-Key": "bad-then-good"}
    assert client.post("/api/v1/experiments", json={"name": ""}, headers=headers).status_code == 422
    assert session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.key == "bad-then-good")) is None


def test_unknown_ids_are_404(client, api_token):
    _u, raw = api_token("viewer")
    for url in ("/api/v1/experiments/999999", "/api/v1/experiments/999999/status/summary",
                "/api/v1/nothing-here"):
        resp = client.get(url, headers=bearer(raw))
        assert resp.status_code == 404 and resp.json["detail"]


def test_species_and_templates(client, api_token):
    _u, raw = api_token("viewer")
    species = client.get("/api/v1/species", headers=bearer(raw)).json
    assert species["count"] >= 20
    assert {"id", "common_name", "scientific_name", "category", "default_cultivar"} <= set(
        species["results"][0])
    tpl = client.get("/api/v1/metric-templates?category=flytrap", headers=bearer(raw)).json
    assert tpl["category"] == "flytrap"
    vigour = next(fl for fl in tpl["fields"] if fl["key"] == "vigour")
    assert vigour == {**vigour, "type": "int", "min": 1, "max": 5, "required": True}
    assert client.get("/api/v1/metric-templates?category=nope",
                      headers=bearer(raw)).status_code == 404


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert "/api/v1/experiments/{experiment_id}/status/summary" in paths
    create = paths["/api/v1/experiments"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ExperimentIn")
    assert {"201", "401", "403", "413", "422"} <= set(create["responses"])
    assert "ExperimentIn" in doc["components"]["schemas"]
    start = paths["/api/v1/experiments/{experiment_id}/start"]["post"]
    assert "409" in start["responses"]


def test_openapi_documents_multipart_uploads(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    photo = paths["/api/v1/plants/{plant_uuid}/photos"]["post"]["requestBody"]["content"]
    assert photo["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
    assert "multipart/form-data" in paths["/api/v1/experiments/{experiment_id}/plants/import"][
        "post"]["requestBody"]["content"]
