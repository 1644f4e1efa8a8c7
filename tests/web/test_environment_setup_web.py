"""The tent page's sensor setup (lux factor, "no reading" minutes, device topics) and the
logger CSV import: plain posts and htmx fragments, 409/422 fragments, 413, audit rows,
viewers read only, and a fixed statement count."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from growapp.models import AuditLog, Reading, ReadingHour, SensorMapping, TentSensorSettings
from tests.helpers import factories as f
from tests.helpers.statements import count_statements

HX = {"HX-Request": "true"}
CSV = (b"Timestamp,Temp (F),RH (%),battery\n"
       b"2026-11-30T09:00:00+01:00,71.6,55,98\n"
       b"2026-11-30T09:30:00+01:00,72.5,56,98\n")


@pytest.fixture
def tent(session):
    tent = f.make_tent(session, f.make_experiment(session, status="running"))
    session.commit()
    return tent


def _url(tent, tail=""):
    return f"/experiments/{tent.experiment_id}/tents/{tent.id}/environment{tail}"


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_settings_saved_audited_and_shown(login_as, tent, session):
    client = login_as("operator")
    resp = client.post(_url(tent, "/settings"), data={"lux_factor": "0.015",
                                                      "stale_minutes": "45"}, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert "Sensor settings saved." in html and "× 0.015" in html and "45 min" in html
    row = session.scalars(select(TentSensorSettings)).one()
    assert (row.lux_factor, row.stale_minutes) == (0.015, 45)
    assert _count(session, AuditLog, AuditLog.table_name == "tent_sensor_settings") == 1
    bad = client.post(_url(tent, "/settings"), data={"lux_factor": "3", "stale_minutes": "-1"},
                      headers=HX)
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    body = bad.get_data(as_text=True)
    assert "between 0 and 1" in body and "Number must be between 0 and 10080" in body
    plain = client.post(_url(tent, "/settings"), data={"lux_factor": "", "stale_minutes": "0"})
    assert plain.status_code == 303
    session.refresh(row)
    assert (row.lux_factor, row.stale_minutes) == (None, 0)


def test_mappings_add_409_422_remove(login_as, tent, session):
    client = login_as("operator")
    topic = f"tele/tent{tent.id}-plug/SENSOR"
    resp = client.post(_url(tent, "/mappings"), data={"kind": "tasmota", "topic": topic},
                       headers=HX)
    assert resp.status_code == 200 and f"Mapped {topic}." in resp.get_data(as_text=True)
    again = client.post(_url(tent, "/mappings"), data={"kind": "tasmota", "topic": topic},
                        headers=HX)
    assert again.status_code == 409
    assert "is already mapped to this tent" in again.get_data(as_text=True)
    other = f.make_tent(session, f.make_experiment(session), code="TN9")
    session.commit()
    elsewhere = client.post(f"/experiments/{other.experiment_id}/tents/{other.id}/environment"
                            "/mappings", data={"kind": "tasmota", "topic": topic}, headers=HX)
    assert elsewhere.status_code == 409
    assert "tent TN1 of another experiment" in elsewhere.get_data(as_text=True)
    for data, message in (({"kind": "esphome", "topic": "node/sensor/t/state"},
                           "Choose the quantity"),
                          ({"kind": "esphome", "topic": "node/sensor/t", "quantity": "co2"},
                           "looks like &lt;node&gt;/sensor/&lt;name&gt;/state"),
                          ({"kind": "esphome", "topic": "n/sensor/t/state",
                            "quantity": "temperature", "unit": "bananas"}, "Unknown unit"),
                          ({"kind": "tasmota", "topic": "tele/plug/STATE"},
                           "Tasmota topic looks like"),
                          ({"kind": "esphome", "topic": "growapp/sensor/t/state",
                            "quantity": "co2"}, "the tents&#39; own")):
        bad = client.post(_url(tent, "/mappings"), data=data, headers=HX)
        assert bad.status_code == 422, data
        assert message in bad.get_data(as_text=True), data
    ok = client.post(_url(tent, "/mappings"), data={
        "kind": "esphome", "topic": "node7/sensor/leaf_temp/state", "quantity": "temperature",
        "unit": "°F"})
    assert ok.status_code == 303
    mappings = session.scalars(select(SensorMapping).order_by(SensorMapping.topic)).all()
    assert [(m.kind, m.quantity, m.unit) for m in mappings] == [
        ("esphome", "temperature", "°F"), ("tasmota", None, None)]
    page = client.get(_url(tent)).get_data(as_text=True)
    assert "node7/sensor/leaf_temp/state" in page and topic in page
    gone = client.post(_url(tent, f"/mappings/{mappings[1].id}/delete"), headers=HX)
    assert gone.status_code == 200 and "Mapping removed." in gone.get_data(as_text=True)
    assert client.post(_url(tent, f"/mappings/{mappings[1].id}/delete"),
                       headers=HX).status_code == 404
    assert _count(session, AuditLog, AuditLog.table_name == "sensor_mappings") == 3


def test_viewer_reads_the_setup_but_cannot_change_it(login_as, tent, session):
    session.add(SensorMapping(tent_id=tent.id, kind="tasmota", topic="tele/v/SENSOR"))
    session.commit()
    viewer = login_as("viewer")
    page = viewer.get(_url(tent)).get_data(as_text=True)
    assert "tele/v/SENSOR" in page and "Map topic" not in page and "Check file" not in page
    assert "Log reading" not in page and "Save range" not in page and "No ranges set." in page
    for tail, data in (("/settings", {"stale_minutes": "5"}),
                       ("/mappings", {"kind": "tasmota", "topic": "tele/x/SENSOR"}),
                       ("/import", {"csv_text": CSV.decode()})):
        assert viewer.post(_url(tent, tail), data=data).status_code == 403


def test_csv_check_then_import(login_as, tent, session):
    client = login_as("operator")
    check = client.post(_url(tent, "/import"), data={"file": (io.BytesIO(CSV), "log.csv")},
                        headers=HX, content_type="multipart/form-data")
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and "<html" not in html
    assert "Import 4 readings" in html and "battery</code> → <span class=\"muted\">ignored" in html
    assert "From 30 Nov 2026 08:00 to 30 Nov 2026 08:30" in html  # local (UTC here)
    assert _count(session, Reading) == 0
    done = client.post(_url(tent, "/import"), data={"csv_text": CSV.decode(), "confirm": "1"},
                       headers=HX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == _url(tent)
    assert "Imported 4 readings." in client.get(_url(tent)).get_data(as_text=True)
    assert _count(session, Reading, Reading.source == "csv") == 4
    assert session.scalar(select(func.sum(ReadingHour.n))) == 4
    again = client.post(_url(tent, "/import"), data={"csv_text": CSV.decode()}, headers=HX)
    assert "already stored" in again.get_data(as_text=True)
    assert "Import 0" not in again.get_data(as_text=True)


def test_csv_rejected_lines_422_and_options(login_as, tent, session):
    client = login_as("operator")
    bad = CSV + b"2026-11-30 10:00:00,70,50,97\n"
    resp = client.post(_url(tent, "/import"), data={"csv_text": bad.decode(), "confirm": "1"},
                       headers=HX)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Nothing was imported: 1 lines have problems." in body
    assert "<td>4</td>" in body and "offset" in body
    assert _count(session, Reading) == 0
    fixed = client.post(_url(tent, "/import"), headers=HX, data={
        "csv_text": bad.decode(), "offset": "+01:00", "confirm": "1"})
    assert fixed.status_code == 204 and _count(session, Reading) == 6
    wrong = client.post(_url(tent, "/import"), headers=HX, data={
        "csv_text": bad.decode(), "time_column": "clock"})
    assert wrong.status_code == 422 and "No column" in wrong.get_data(as_text=True)
    empty = client.post(_url(tent, "/import"), headers=HX, data={})
    assert empty.status_code == 422 and "Choose a CSV file" in empty.get_data(as_text=True)


def test_csv_over_the_cap_is_413(login_as, tent, monkeypatch):
    from growapp.services.environment import csv_import

    monkeypatch.setattr(csv_import, "MAX_BYTES", 1024)
    client = login_as("operator")
    resp = client.post(_url(tent, "/import"), headers=HX, data={
        "file": (io.BytesIO(CSV * 40), "big.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 413 and "larger than" in resp.get_data(as_text=True)


def test_tent_page_statements_do_not_grow_with_mappings_or_readings(login_as, tent, session,
                                                                    connection):
    from growapp.services.environment.readings import ingest_readings

    client = login_as("viewer")
    counts = []
    for n in (1, 30):
        for i in range(n):
            session.add(SensorMapping(tent_id=tent.id, kind="tasmota",
                                      topic=f"tele/d{n}-{i}/SENSOR"))
        ingest_readings(session, tent_id=tent.id, source="api", actor=None, items=[
            {"quantity": "temperature", "value": 20 + i % 5,
             "at": f"2026-11-30T{i % 24:02d}:{n:02d}:00Z"} for i in range(n * 20)])
        session.commit()
        client.get(_url(tent))
        with count_statements(connection) as statements:
            assert client.get(_url(tent)).status_code == 200
        counts.append(len(statements))
    print(f"tent page: {counts[0]} statements")
    assert counts[0] == counts[1] and counts[0] <= 16, counts


def test_setup_forms_load_when_opened_and_without_js(login_as, tent):
    client = login_as("operator")
    page = client.get(_url(tent)).get_data(as_text=True)
    assert "Save sensor settings" not in page  # not rendered until opened
    assert f'hx-get="{_url(tent)}/setup"' in page and "?setup=open" in page
    frag = client.get(_url(tent, "/setup"), headers=HX)
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and "<html" not in body and "Save sensor settings" in body
    assert "Map topic" in body and frag.headers["Vary"].find("HX-Request") >= 0
    full = client.get(_url(tent) + "?setup=open").get_data(as_text=True)
    assert "<html" in full and "Save sensor settings" in full
    assert '<details class="env-import-options" open>' in full
