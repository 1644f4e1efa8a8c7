"""What API.md promises and openapi.json states: every list takes limit/offset, 405s say
what is allowed, a 204 has no body and no Content-Type, and the document describes each
answer (the metric templates without a category are a list envelope)."""

import jsonschema
import pytest

from tests.helpers import factories as f


@pytest.fixture
def admin(api_token):
    _user, raw = api_token("admin")
    return {"Authorization": f"Bearer {raw}"}


def test_every_list_takes_limit_and_offset(client, admin):
    every = client.get("/api/v1/species?limit=500", headers=admin)
    assert every.status_code == 200, every.json
    assert every.json["meta"]["limit"] == 500
    total = every.json["count"]
    page = client.get("/api/v1/species?limit=2&offset=1", headers=admin).json
    assert page["count"] == total and len(page["results"]) == 2
    assert page["results"] == every.json["results"][1:3]
    assert page["meta"] == {"limit": 2, "offset": 1}
    too_far = client.get(f"/api/v1/species?offset={2**64}", headers=admin)
    assert too_far.status_code == 422
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        op = operations.get("get")
        body = (op or {}).get("responses", {}).get("200", {}).get("content", {})
        schema = body.get("application/json", {}).get("schema", {})
        if "results" in str(schema):
            names = {p["name"] for p in op["parameters"] if p["in"] == "query"}
            assert {"limit", "offset"} <= names, path


def test_405_says_what_is_allowed(client, admin):
    resp = client.put("/api/v1/species", headers=admin)
    assert resp.status_code == 405
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert resp.json == {"detail": "That action is not allowed here."}


def test_delete_answers_204_without_a_body_or_content_type(client, admin, session):
    exp = f.make_experiment(session)
    recipe = f.make_recipe(session, exp, code="R9")
    session.commit()
    resp = client.delete(f"/api/v1/recipes/{recipe.id}", headers=admin)
    assert resp.status_code == 204 and resp.data == b""
    assert "Content-Type" not in resp.headers
    document = client.get("/api/v1/openapi.json").json
    assert "content" not in document["paths"]["/api/v1/recipes/{recipe_id}"]["delete"][
        "responses"]["204"]


def test_metric_templates_answers_match_the_document(client, admin):
    document = client.get("/api/v1/openapi.json").json
    schema = document["paths"]["/api/v1/metric-templates"]["get"]["responses"]["200"][
        "content"]["application/json"]["schema"]
    resolver = {"components": document["components"], **schema}
    for url in ("/api/v1/metric-templates", "/api/v1/metric-templates?category=flytrap"):
        body = client.get(url, headers=admin).json
        jsonschema.validate(body, resolver)
