"""The all-in-one zip from the report page and the API."""

from __future__ import annotations

import io
import zipfile

from tests.helpers.reports import tray_trial


def test_report_page_links_the_zip_and_it_downloads(login_as, session):
    exp, _week1 = tray_trial(session)
    client = login_as("viewer")
    page = client.get(f"/experiments/{exp.id}/reports")
    assert f"/experiments/{exp.id}/export/all.zip" in page.get_data(as_text=True)
    resp = client.get(f"/experiments/{exp.id}/export/all.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.is_streamed
    names = zipfile.ZipFile(io.BytesIO(resp.get_data())).namelist()
    assert "design.json" in names and "metrics.csv" in names


def test_zip_of_a_missing_experiment_is_404(login_as):
    assert login_as("viewer").get("/experiments/999999/export/all.zip").status_code == 404


def test_api_zip(client, api_token, session):
    exp, _week1 = tray_trial(session)
    _user, raw = api_token("viewer")
    headers = {"Authorization": f"Bearer {raw}"}
    resp = client.get(f"/api/v1/experiments/{exp.id}/export/all.zip", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "reproduce_report.py" in zipfile.ZipFile(io.BytesIO(resp.get_data())).namelist()
    missing = client.get("/api/v1/experiments/999999/export/all.zip", headers=headers)
    assert missing.status_code == 404 and "detail" in missing.get_json()


def test_report_names_the_design_for_print(login_as, session):
    exp, _week1 = tray_trial(session)
    body = login_as("viewer").get(f"/experiments/{exp.id}/reports").get_data(as_text=True)
    assert 'id="report-design"' in body and f"{exp.name}</span></h1>" in body
    assert "R0 Recipe R0 (2 trays)" in body and "R1 Recipe R1 (2 trays)" in body
    assert "4 trays · placement: by hand" in body
