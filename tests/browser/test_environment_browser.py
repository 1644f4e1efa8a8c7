"""The tent page on a phone (390×844): log a reading with a thumb, see it on the "now"
tile and the chart, set a range and see the value marked out of range; axe-core finds no
serious or critical violation in light and dark. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from growapp.models import Experiment, User
from growapp.services import tents
from tests.helpers.browser import ARTIFACTS, axe_violations, sign_in, small_targets

pytestmark = pytest.mark.browser
CSV = (b"Timestamp,Temp (F),RH (%),battery\n"
       b"2026-11-30T09:00:00+01:00,71.6,55,98\n"
       b"2026-11-30T09:30:00+01:00,72.5,56,98\n")


def _tent(app, name: str) -> tuple[int, int]:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name=name, short_name=name[:20])
        s.add(exp)
        s.flush()
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="Sundew tent",
                                 layout=tents.uniform_layout(1, 2))
        exp.status = "running"  # readings need no start; ranges alert only while running
        s.commit()
        return exp.id, tent.id


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_log_a_reading_see_it_set_a_range_see_it_out(axe_page, live_server, scheme):
    page = axe_page
    base, app = live_server
    exp_id, tent_id = _tent(app, f"Env {scheme}")
    path = f"/experiments/{exp_id}/tents/{tent_id}/environment"
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "operator", path)
    assert "No readings yet" in page.locator("#env-now").locator("..").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tent-empty-{scheme}.png"), full_page=True,
                    caret="initial")

    form = page.locator("form", has=page.get_by_role("button", name="Log reading"))
    form.get_by_label("Quantity").select_option("temperature")
    form.get_by_label("Value").fill("29.5")
    form.get_by_role("button", name="Log reading").tap()
    page.get_by_role("status").filter(has_text="Logged temperature 29.5 °C.").wait_for()
    now = page.locator(".env-now .env-value", has_text="Temperature")
    assert "29.5" in now.inner_text() and "manual" in now.inner_text()
    chart = page.locator("figure.env-chart", has_text="Temperature, 24 h")
    chart.wait_for()
    assert chart.locator("circle.env-chart-now").count() == 1  # one hour: the dot shows it
    assert "29.5" not in page.locator(".env-now").inner_text().replace(
        now.inner_text(), "")  # only on its own tile

    ranges = page.locator("form", has=page.get_by_role("button", name="Save range"))
    ranges.get_by_label("Quantity").select_option("temperature")
    ranges.get_by_label("Low").fill("18")
    ranges.get_by_label("High").fill("26")
    ranges.get_by_label("Alert after (min)").fill("10")
    ranges.get_by_role("button", name="Save range").tap()
    page.get_by_role("status").filter(has_text="Temperature range saved.").wait_for()
    now = page.locator(".env-now .env-value", has_text="Temperature")
    assert "out of range" in now.inner_text()
    assert "is-out" in now.get_attribute("class")
    assert "range 18.0–26.0" in now.inner_text()
    chart = page.locator("figure.env-chart", has_text="Temperature, 24 h")
    assert chart.locator("rect[fill-opacity='0.14']").count() == 1  # the range, shaded
    assert "green: range" in chart.inner_text()
    assert chart.locator("circle.env-chart-now").get_attribute("fill") == "#d97706"
    page.screenshot(path=str(ARTIFACTS / f"tent-out-of-range-{scheme}.png"), full_page=True,
                    caret="initial")

    page.locator("summary", has_text="Settings and device topics").tap()
    page.get_by_role("button", name="Save sensor settings").wait_for()  # loaded on opening
    page.get_by_label("Lux → PPFD factor").fill("0.015")
    page.get_by_role("button", name="Save sensor settings").tap()
    page.get_by_role("status").filter(has_text="Sensor settings saved.").wait_for()
    assert "× 0.015" in page.locator(f"#tent-{tent_id}-sensor-setup").inner_text()
    assert small_targets(page) == []
    page.screenshot(path=str(ARTIFACTS / f"tent-setup-{scheme}.png"), full_page=True,
                    caret="initial")
    assert axe_violations(page) == []

    # a logger's CSV through the page's own multipart htmx form: check, then import
    importer = page.locator(f"#tent-{tent_id}-readings-import")
    importer.get_by_label("CSV file").set_input_files(files=[{
        "name": "logger.csv", "mimeType": "text/csv", "buffer": CSV}])
    importer.get_by_role("button", name="Check file").tap()
    page.get_by_role("button", name="Import 4 readings").wait_for()
    assert "1 lines rejected" not in importer.inner_text()
    page.locator(f"#tent-{tent_id}-readings-import").screenshot(
        path=str(ARTIFACTS / f"tent-import-check-{scheme}.png"), caret="initial")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Import 4 readings").tap()
    page.locator("#flash", has_text="Imported 4 readings.").wait_for()
    page.locator(".env-now dt", has_text="Humidity").wait_for()  # the page reloaded
    assert page.console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_charts_show_a_gap_and_stay_in_their_plot(axe_page, live_server, scheme):
    """A week of readings with a sensor off for six hours: the line and band break there,
    everything drawn stays inside the chart, in light and dark."""
    from datetime import timedelta

    from growapp.models import utcnow
    from growapp.services.environment.alerts import set_range
    from growapp.services.environment.readings import ingest_readings

    page = axe_page
    base, app = live_server
    exp_id, tent_id = _tent(app, f"Gaps {scheme}")
    now = utcnow()
    items = [{"quantity": q, "value": v + 2 * ((i // 3) % 24 > 12) + (i % 5) / 10,
              "at": (now - timedelta(minutes=20 * i)).isoformat()}
             for i in range(7 * 72) if not 15 <= i < 33
             for q, v in (("temperature", 23), ("humidity", 58))]
    with Session(app.extensions["growapp_db"].engine) as s:
        for chunk in range(0, len(items), 1000):
            ingest_readings(s, tent_id=tent_id, source="api", actor=None, now=now,
                            items=items[chunk:chunk + 1000])
        set_range(s, tent_id=tent_id, quantity="temperature", low=20, high=25, for_minutes=10,
                  actor=s.query(User).filter_by(email="operator@example.com").one())
        s.commit()
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "operator", f"/experiments/{exp_id}/tents/{tent_id}/environment")
    for title in ("Temperature, 24 h", "Temperature, 7 d", "Humidity, 24 h"):
        chart = page.locator("figure.env-chart", has_text=title)
        mean = chart.locator("path[fill='none']")
        assert mean.get_attribute("d").count("M") == 2, title  # one gap, two runs
        svg, line = chart.locator("svg").bounding_box(), mean.bounding_box()
        assert svg["x"] <= line["x"] and line["x"] + line["width"] <= svg["x"] + svg["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("figure.env-chart", has_text="Temperature, 24 h").screenshot(
        path=str(ARTIFACTS / f"tent-chart-gap-24h-{scheme}.png"), caret="initial")
    page.screenshot(path=str(ARTIFACTS / f"tent-charts-{scheme}.png"), full_page=True,
                    caret="initial")
    assert axe_violations(page) == []
    assert page.console_errors == []
