"""A small fuzzer over every endpoint in the OpenAPI registry: malformed JSON, wrong types,
huge and odd strings, unknown fields, bad query values and ids. Nothing may answer 5xx."""

import json
import re
import uuid

import pytest

from growapp.api.framework import REGISTRY
from tests.helpers import factories as f

ODD = ["", " ", "x" * 5000, "💥\u0000\u202e", "-1", "1e309", "null", "<script>", "../../etc"]
BODIES = [b"{", b"[]", b"null", b"\"text\"", b"{\"a\": {\"b\": [1, 2, {\"c\": null}]}}",
          json.dumps({"name": ["not", "a", "string"]}).encode()]


def _values_for(spec, exp_id, plant_uuid, tray_id):
    values = {}
    for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", spec.rule):
        if conv == "uuid":
            values[name] = plant_uuid
        elif name == "tray_id":
            values[name] = tray_id
        else:
            values[name] = exp_id
    return values


def _payloads(spec):
    yield from BODIES
    if spec.body is not None:
        fields = spec.body.model_json_schema().get("properties", {})
        for odd in ([], {}, True, 10**30, -1, "x" * 5000, None, "💥"):
            yield json.dumps({k: odd for k in fields}).encode()
        yield json.dumps({"unknown_field": 1}).encode()


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: f"{s.method} {s.rule}")
def test_endpoint_never_answers_5xx(client, api_token, session, spec):
    _u, raw = api_token("admin")
    headers = {"Authorization": f"Bearer {raw}"}
    exp, trays, plants, _r = f.make_running_experiment(session, plants=1)
    session.commit()
    url = spec.rule
    for name, value in _values_for(spec, exp.id, plants[0].uuid, trays[0].id).items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    url = "/api/v1" + url
    responses = []
    if spec.method == "GET":
        for odd in ODD:
            responses.append(client.get(url, query_string={"limit": odd, "offset": odd,
                                                           "q": odd, "status": odd,
                                                           "needs": odd, "category": odd,
                                                           "from": odd, "days": odd},
                                        headers=headers))
    else:
        for payload in _payloads(spec):
            responses.append(client.open(url, method=spec.method, data=payload,
                                         content_type="application/json", headers=headers))
        responses.append(client.open(url, method=spec.method, data=b"\xff\xfe\x00garbage",
                                     content_type="application/json", headers=headers))
    # ids that do not exist
    missing = re.sub(r"/\d+(?=/|$)", "/987654321", url).replace(
        str(plants[0].uuid), str(uuid.uuid4()))
    responses.append(client.open(missing, method=spec.method, json={}, headers=headers))
    statuses = [r.status_code for r in responses]
    assert all(s < 500 for s in statuses), (url, statuses)
