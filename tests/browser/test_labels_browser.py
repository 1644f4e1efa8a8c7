"""Labels on a phone: the first-sheet preview draws (its stylesheet passes the CSP),
changing the sheet swaps the preview in place, and the PDF downloads."""

import pytest
from sqlalchemy.orm import Session

from growapp.models import Experiment, User
from growapp.services import plants
from growapp.services.labels.sheet_templates import ensure_label_templates
from tests.helpers import factories as f
from tests.helpers.browser import sign_in, small_targets

pytestmark = pytest.mark.browser


def _experiment(app) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        ensure_label_templates(s)
        exp = Experiment(name="Label trial", short_name="LT")
        s.add(exp)
        s.flush()
        plants.add_plants(s, experiment_id=exp.id, actor=actor, species_id=f.species(s).id,
                          quantity=7)
        s.commit()
        return exp.id


def test_preview_then_download_on_a_phone(page, live_server):
    base, app = live_server
    exp_id = _experiment(app)
    sign_in(page, base, "operator", f"/experiments/{exp_id}/labels")
    preview = page.locator(".label-preview")
    sheet = preview.locator(".lbl-sheet")
    sheet.wait_for()
    box = sheet.bounding_box()
    assert 300 <= box["width"] <= 390 and box["height"] > box["width"]  # letter, portrait
    cell = preview.locator(".lbl-cell.lbl-c0").bounding_box()
    assert 0 < cell["width"] < box["width"] / 2  # positioned by the served stylesheet
    assert preview.locator(".lbl-k", has_text="VFT-001").is_visible()
    assert preview.locator(".lbl-qrs path").count() >= 1

    page.select_option("#labels-template", "avery-l7651")
    page.locator(".label-preview .lbl-cell.lbl-c64").wait_for(state="attached")
    assert "/labels?" in page.url and "template=avery-l7651" in page.url
    assert page.locator(".labels-summary").inner_text().startswith("7 labels on 1 sheet")

    page.fill("#labels-start", "99")
    page.locator("#labels-preview .problem-422").wait_for()
    assert "from 1 to 65" in page.locator("#labels-preview").inner_text()
    page.fill("#labels-start", "64")
    page.locator(".label-preview").wait_for()

    # Every sheet is made by a label job (a POST records the print); its page offers the file.
    page.get_by_role("button", name="Make the PDF").tap()
    page.get_by_role("link", name="Download PDF").wait_for(timeout=60_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").tap()
    assert download.value.suggested_filename == "lt-plants-labels-avery-l7651.pdf"
    assert small_targets(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The 422 preview logs "Failed to load resource"; nothing else may (CSP refusals would).
    assert [e for e in page.console_errors if "status of 422" not in e] == []
