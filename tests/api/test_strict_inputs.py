"""The API accepts what openapi.json says and nothing else (schemathesis'
negative_data_rejection, issue 12 item 16): JSON bodies are validated strictly (no false
for a number, 0 for false, "3" for 3), dates and times in query strings are ISO text only
(not "0" as seconds since 1970), and every schema the document names is in it."""

import pytest

from tests.helpers import factories as f


@pytest.fixture
def admin(api_token):
    _user, raw = api_token("admin")
    return {"Authorization": f"Bearer {raw}"}


def test_bodies_are_strict(client, admin, session):
    exp = f.make_experiment(session)
    session.commit()
    url = f"/api/v1/experiments/{exp.id}/recipes"
    refused = client.post(url, json={"name": "Feed", "volume_ml": False}, headers=admin)
    assert refused.status_code == 422 and "volume_ml" in refused.json["errors"]
    as_text = client.post(url, json={"name": "Feed", "volume_ml": "25"}, headers=admin)
    assert as_text.status_code == 422 and "volume_ml" in as_text.json["errors"]
    ok = client.post(url, json={"name": "Feed", "volume_ml": 25}, headers=admin)  # int → float
    assert ok.status_code == 201 and ok.json["volume_ml"] == 25.0
    copy = client.post(f"/api/v1/experiments/{exp.id}/duplicate",
                       json={"include_plants": 0}, headers=admin)
    assert copy.status_code == 422 and "include_plants" in copy.json["errors"]
    assert client.post(f"/api/v1/experiments/{exp.id}/duplicate",
                       json={"include_plants": False}, headers=admin).status_code == 201


def test_query_dates_and_times_are_iso_text(client, admin, session):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp)
    session.commit()
    plan = f"/api/v1/experiments/{exp.id}/schedules/plan"
    assert client.get(plan, query_string={"from": "0"}, headers=admin).status_code == 422
    ok = client.get(plan, query_string={"from": "2026-12-01", "days": 2}, headers=admin)
    assert ok.status_code == 200 and ok.json["days"][0]["date"] == "2026-12-01"
    readings = f"/api/v1/tents/{tent.id}/readings"
    bad = client.get(readings, query_string={"to": "0.5"}, headers=admin)
    assert bad.status_code == 422 and "to" in bad.json["errors"]
    assert client.get(readings, query_string={"to": "2026-12-01T10:00:00+00:00"},
                      headers=admin).status_code == 200


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_in_the_document_resolves(client):
    document = client.get("/api/v1/openapi.json").json
    names = set(document["components"]["schemas"])
    missing = {ref for ref in _refs(document)
               if ref.removeprefix("#/components/schemas/") not in names}
    assert not missing  # two response models named MetricOut left one unresolvable


@pytest.mark.parametrize(("path", "methods"), [
    ("/api/v1/experiments/{n}/status/summary", ("GET",)),
    ("/api/v1/experiments/{n}/start", ("POST",)),
    ("/api/v1/recipes/{n}", ("GET", "PATCH", "DELETE")),
    ("/api/v1/trays/{n}", ("GET", "PATCH"))])
def test_ids_beyond_an_id_column_are_404_on_every_engine(client, admin, path, methods):
    """2³¹ is past the document's maximum and PostgreSQL's INTEGER: it answered 422 there
    (a DataError), undocumented for these operations; an id that large exists nowhere.
    (A converter that merely refused the value made werkzeug answer 405 for PATCH.)"""
    for n in (2**31, 2**31 + 7, 2**63, 10**30):
        for method in methods:
            resp = client.open(path.format(n=n), method=method, headers=admin, json={})
            assert resp.status_code == 404 and resp.json["detail"], (n, method, resp.status_code)
    assert client.get(path.format(n=2**31 - 1), headers=admin).status_code in (404, 405)
