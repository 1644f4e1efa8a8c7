"""Compressed text responses (brotli, gzip), ETags that still work with If-Match and
If-None-Match, the per-response CSRF mask (BREACH), and hashed immutable static files."""

import gzip
import re

import brotli

from growapp.http.compression import choose_encoding, representation_tag
from growapp.http.csrf_mask import mask, unmask
from tests.helpers import factories as f


def test_choose_encoding_prefers_brotli_and_honours_q0():
    assert choose_encoding("gzip, deflate, br") == "br"
    assert choose_encoding("gzip") == "gzip"
    assert choose_encoding("br;q=0, gzip;q=0.5") == "gzip"
    assert choose_encoding("identity") is None
    assert choose_encoding("") is None


def test_pages_are_compressed_with_vary(login_as, session):
    exp = f.make_running_experiment(session, plants=3)[0]
    session.commit()
    client = login_as("operator")
    url = f"/experiments/{exp.id}/overview"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    br = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in br.headers["Vary"] and "HX-Request" in br.headers["Vary"]
    assert b"<html" in brotli.decompress(br.get_data())
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(gz.get_data())


def test_compressed_etag_still_matches_if_match_and_if_none_match(client, api_token, session):
    user, raw = api_token("operator")
    headers = {"Authorization": f"Bearer {raw}"}
    exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    log = client.post(f"/api/v1/plants/{plants[0].uuid}/feed", json={"amount": 400},
                      headers=headers).json
    url = f"/api/v1/feedings/{log['id']}"
    got = client.get(url, headers={**headers, "Accept-Encoding": "gzip"})
    plain = client.get(url, headers=headers)
    if got.headers.get("Content-Encoding") == "gzip":
        assert got.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    assert representation_tag(got.headers["ETag"]) == plain.headers["ETag"]
    again = client.get(url, headers={**headers, "Accept-Encoding": "gzip",
                                     "If-None-Match": got.headers["ETag"]})
    assert again.status_code == 304
    patched = client.patch(url, json={"reason": "meant 40", "amount": 40},
                           headers={**headers, "If-Match": got.headers["ETag"]})
    assert patched.status_code == 200
    stale = client.patch(url, json={"reason": "x", "amount": 41},
                         headers={**headers, "If-Match": got.headers["ETag"]})
    assert stale.status_code == 412


def test_large_json_is_compressed_with_a_suffixed_etag(client, api_token, session):
    _user, raw = api_token("operator")
    exp = f.make_running_experiment(session, plants=20)[0]
    session.commit()
    resp = client.get(f"/api/v1/experiments/{exp.id}/plants?limit=100",
                      headers={"Authorization": f"Bearer {raw}", "Accept-Encoding": "br"})
    assert resp.status_code == 200
    assert resp.headers.get("Content-Encoding") == "br"
    assert brotli.decompress(resp.get_data()).lstrip().startswith((b"{", b"["))


def test_csrf_token_is_masked_differently_in_every_response(login_as, session):
    exp = f.make_running_experiment(session, plants=1)[0]
    session.commit()
    client = login_as("operator")
    tokens = []
    for _ in range(2):
        html = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
        found = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        found |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))
        assert len(found) == 1, found  # one token per response, everywhere on the page
        tokens.append(found.pop())
    assert tokens[0] != tokens[1]
    assert all(t.startswith("~") for t in tokens)
    # the same session token under both masks (Flask-WTF signs it with the second it was
    # made in, so only the signed payload, not the timestamp and signature, must agree)
    assert unmask(tokens[0]).split(".")[0] == unmask(tokens[1]).split(".")[0]
    assert unmask(mask("abc.def")) == "abc.def"
    assert unmask("~!!!") is None and unmask("plain") == "plain"


def test_a_masked_token_passes_the_csrf_check(app, session, login_as):
    from growapp.extensions import csrf

    exp = f.make_running_experiment(session, plants=1)[0]
    session.commit()
    client = login_as("operator")
    assert csrf is app.extensions["csrf"]
    html = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    ok = client.post(f"/experiments/{exp.id}/stop", headers={"X-CSRFToken": token}, csrf=False)
    assert ok.status_code in (200, 303)
    forged = client.post(f"/experiments/{exp.id}/stop", headers={"X-CSRFToken": mask("x.y.z")},
                         csrf=False)
    assert forged.status_code == 400


def test_static_files_have_hashed_names_and_an_immutable_cache(login_as, client, session):
    html = login_as("viewer").get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', html).group(1)
    resp = client.get(css)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    br = client.get(css, headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.get_data()) == resp.get_data()
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/app.0000000000.css").status_code == 404


def test_service_worker_precaches_the_hashed_names(client):
    script = client.get("/sw.js").get_data(as_text=True)
    assert re.search(r'"/static/css/app\.[0-9a-f]{10}\.css"', script)
    assert re.search(r'"/static/js/outbox\.[0-9a-f]{10}\.js"', script)
    assert '"version": "dev"' not in script
