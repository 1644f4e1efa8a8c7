"""The tent page: now, charts from roll-ups with the range shaded, manual entry (plain and
htmx, 422 with the field message), ranges, 404 across experiments, viewers read only."""

from datetime import timedelta

import pytest

from growapp.models import utcnow
from growapp.services.environment.readings import ingest_readings
from tests.helpers import factories as f


@pytest.fixture
def tent(session):
    exp = f.make_experiment(session, status="running")
    tent = f.make_tent(session, exp)
    now = utcnow()
    ingest_readings(session, tent_id=tent.id, source="api", actor=None, items=[
        {"quantity": q, "value": v + (i % 5) / 10, "at": (now - timedelta(minutes=20 * i))}
        for i in range(0, 500) for q, v in (("temperature", 24), ("humidity", 60))])
    session.commit()
    return tent


def _url(tent, tail=""):
    return f"/experiments/{tent.experiment_id}/tents/{tent.id}/environment{tail}"


def test_page_shows_now_vpd_charts_and_topic(login_as, tent):
    resp = login_as("viewer").get(_url(tent))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Temperature" in html and "VPD" in html and "kPa" in html
    assert html.count("<svg viewBox") == 4  # 24 h and 7 d for two quantities
    assert f"growapp/{tent.experiment_id}-{tent.code}/&lt;quantity&gt;" in html
    assert "style=" not in html.split("<main", 1)[-1]  # CSP: no inline style


def test_manual_entry_plain_htmx_and_422(login_as, tent, session):
    client = login_as("operator")
    plain = client.post(_url(tent, "/readings"), data={"quantity": "temperature",
                                                       "value": "80.6", "unit": "°F"})
    assert plain.status_code == 303
    page = client.get(_url(tent)).get_data(as_text=True)
    assert "27.0" in page and "manual" in page
    hx = client.post(_url(tent, "/readings"), data={"quantity": "co2", "value": "950"},
                     headers={"HX-Request": "true"})
    assert hx.status_code == 200 and "<html" not in hx.get_data(as_text=True)
    assert "Logged co₂ 950 ppm." in hx.get_data(as_text=True)
    bad = client.post(_url(tent, "/readings"), data={"quantity": "humidity", "value": "140"},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "impossible" in bad.get_data(as_text=True)


def test_ranges_shade_charts_and_mark_values(login_as, tent):
    client = login_as("operator")
    resp = client.post(_url(tent, "/ranges"), data={"quantity": "temperature", "low": "18",
                                                    "high": "24.2", "for_minutes": "10"},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Temperature range saved." in html and 'fill-opacity="0.14"' in html
    bad = client.post(_url(tent, "/ranges"), data={"quantity": "temperature", "low": "30",
                                                   "high": "20", "for_minutes": "10"},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "higher than the lower" in bad.get_data(as_text=True)


def test_other_experiment_404_and_viewer_cannot_write(login_as, tent, session):
    other = f.make_experiment(session)
    session.commit()
    viewer = login_as("viewer")
    assert viewer.get(f"/experiments/{other.id}/tents/{tent.id}/environment").status_code == 404
    assert viewer.post(_url(tent, "/readings"), data={"quantity": "ph",
                                                      "value": "6"}).status_code == 403


def test_overview_tent_map_badges_an_alert(login_as, tent, session):
    from growapp.services.environment.alerts import check_alerts, set_range

    client = login_as("viewer")
    overview = f"/experiments/{tent.experiment_id}/overview"
    html = client.get(overview).get_data(as_text=True)
    assert f'id="tent-{tent.id}-env-badge"' in html and ">Environment</a>" in html
    set_range(session, tent_id=tent.id, quantity="humidity", low=70, high=80, for_minutes=0,
              actor=f.make_user(session))
    assert check_alerts(session)
    session.commit()
    html = client.get(overview).get_data(as_text=True)
    assert ">1 alert</a>" in html and "Humidity 60" in html
