"""The measurement import page (check, then import) and its API route."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from growapp.models import PlantMetric, utcnow
from tests.helpers import factories as f

CSV = b"plant_code,week,leaf_count,vigour\nVFT-001,1,6,3\nVFT-002,1,5,4\n"


def _trial(session):
    exp, _t, plants, _r = f.make_running_experiment(session, plants=2)
    exp.started_at = utcnow() - timedelta(weeks=2, hours=1)
    session.commit()
    return exp


def _weekly(session) -> int:
    return session.scalar(select(func.count(PlantMetric.id)).where(
        PlantMetric.week_number > 0))


def test_page_checks_then_imports(login_as, session):
    exp = _trial(session)
    client = login_as("operator")
    url = f"/experiments/{exp.id}/measurements/import"
    page = client.get(url)
    assert page.status_code == 200 and "leaf_count" in page.get_data(as_text=True)
    assert url in client.get(f"/experiments/{exp.id}/observe").get_data(as_text=True)
    check = client.post(url, data={"file": (io.BytesIO(CSV), "paper.csv")},
                        headers={"HX-Request": "true"}, content_type="multipart/form-data")
    body = check.get_data(as_text=True)
    assert check.status_code == 200 and "<html" not in body and "Import 2 rows" in body
    assert _weekly(session) == 0
    done = client.post(url, data={"csv_text": CSV.decode(), "confirm": "1"})
    assert done.status_code == 303 and _weekly(session) == 2


def test_page_refuses_a_bad_file_with_every_row(login_as, session):
    exp = _trial(session)
    client = login_as("operator")
    bad = CSV + b"VFT-404,1,5,3\n"
    resp = client.post(f"/experiments/{exp.id}/measurements/import",
                       data={"csv_text": bad.decode(), "confirm": "1"},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert "No plant VFT-404" in resp.get_data(as_text=True)
    assert _weekly(session) == 0
    empty = client.post(f"/experiments/{exp.id}/measurements/import", data={},
                        headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "Choose a CSV file" in empty.get_data(as_text=True)


def test_viewer_cannot_import(login_as, session):
    exp = _trial(session)
    resp = login_as("viewer").post(f"/experiments/{exp.id}/measurements/import",
                                   data={"csv_text": CSV.decode(), "confirm": "1"})
    assert resp.status_code in (302, 303, 403)
    assert _weekly(session) == 0


def test_api_dry_run_then_import(client, api_token, session):
    exp = _trial(session)
    _user, raw = api_token("operator")
    headers = {"Authorization": f"Bearer {raw}"}
    url = f"/api/v1/experiments/{exp.id}/measurements/import"
    dry = client.post(url, headers=headers, data={"file": (io.BytesIO(CSV), "m.csv")})
    assert dry.status_code == 200
    assert dry.get_json()["dry_run"] is True and dry.get_json()["error_rows"] == 0
    assert _weekly(session) == 0
    real = client.post(url + "?dry_run=0", headers=headers,
                       data={"file": (io.BytesIO(CSV), "m.csv")})
    assert real.status_code == 201 and real.get_json()["created"] == 2
    again = client.post(url + "?dry_run=0", headers=headers,
                        data={"file": (io.BytesIO(CSV), "m.csv")})
    assert again.status_code == 422 and again.get_json()["error_rows"] == 2
    assert client.post(url, headers=headers).status_code == 422
    assert _weekly(session) == 2
