"""A trial lead opens the report on a phone and sees a chart."""

import pytest
from sqlalchemy.orm import Session

from growapp.services.demo import seed_demo
from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser


def test_report_shows_a_chart(page, live_server):
    base, app = live_server
    with Session(app.extensions["growapp_db"].engine) as s:
        _admin, exp, _created = seed_demo(s)
        s.commit()
        exp_id = exp.id
    sign_in(page, base, "viewer", f"/experiments/{exp_id}/reports")
    chart = page.locator("#metric-leaf_count svg[role=img]").first
    chart.wait_for()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    # One line per recipe against the control (R1 − R0, R2 − R0); R0 is the zero line.
    assert page.locator("#metric-leaf_count path").count() == 2
    legend = page.locator("#metric-leaf_count .legend").first.inner_text()
    assert "R1 − R0" in legend and "95% CI" in legend
    assert page.locator("#answer-leaf_count p").first.inner_text().startswith("After ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as download:
        page.get_by_role("link", name="metrics.csv").tap()
    assert download.value.suggested_filename == f"experiment-{exp_id}-metrics.csv"
    assert page.console_errors == []
