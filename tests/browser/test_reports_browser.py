"""A trial lead opens the report on a phone and sees a chart."""

import pytest
from sqlalchemy.orm import Session

from growapp.services.demo import seed_demo
from growapp.services.reports import build_report
from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser


def test_report_shows_a_chart(page, live_server):
    base, app = live_server
    with Session(app.extensions["growapp_db"].engine) as s:
        _admin, exp, _created = seed_demo(s)
        s.commit()
        exp_id = exp.id
        build_report(s, experiment_id=exp_id)  # import statsmodels before the clock starts
    sign_in(page, base, "viewer", f"/experiments/{exp_id}/reports")
    chart = page.locator("#metric-leaf_count svg[role=img]").first
    chart.wait_for()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    # One line per recipe against the control (R1 − R0, R2 − R0); R0 is the zero line.
    assert page.locator("#metric-leaf_count figure.chart path").count() == 2
    legend = page.locator("#metric-leaf_count .legend").first.inner_text()
    assert "R1 − R0" in legend and "95% CI" in legend
    assert page.locator("#answer-leaf_count p").first.inner_text().startswith("After ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as download:
        page.get_by_role("link", name="metrics.csv").tap()
    assert download.value.suggested_filename == f"experiment-{exp_id}-metrics.csv"
    assert page.console_errors == []


def test_printed_report_is_dark_on_white_names_the_design_and_clips_no_table(page,
                                                                             live_server):
    base, app = live_server
    with Session(app.extensions["growapp_db"].engine) as s:
        _admin, exp, _created = seed_demo(s)
        s.commit()
        exp_id, name = exp.id, exp.name
        build_report(s, experiment_id=exp_id)
    page.emulate_media(color_scheme="dark")
    sign_in(page, base, "viewer", f"/experiments/{exp_id}/reports")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != \
        "rgb(255, 255, 255)"  # the phone is in dark mode
    page.emulate_media(media="print", color_scheme="dark")
    style = page.evaluate("""() => {
        const b = getComputedStyle(document.body);
        const wraps = [...document.querySelectorAll('.table-wrap')].map(
            w => [getComputedStyle(w).overflowX, w.scrollWidth - w.clientWidth]);
        return {bg: b.backgroundColor, fg: b.color, wraps,
                tables: getComputedStyle(document.querySelector('table')).breakInside,
                title: document.querySelector('h1').innerText,
                design: document.querySelector('#report-design').innerText};
    }""")
    assert style["bg"] == "rgb(255, 255, 255)" and style["fg"] == "rgb(0, 0, 0)"
    assert all(overflow == "visible" for overflow, _extra in style["wraps"])
    assert style["tables"] == "avoid"
    assert name in style["title"]
    assert "R0" in style["design"] and "trays" in style["design"] and "seed 2026" in style["design"]
    assert page.pdf(format="A4")[:4] == b"%PDF"
