"""Reports page, CSV downloads (page and API), streamed with the documented columns."""

import csv
import io
import re

from growapp.services.exports import COLUMNS
from tests.helpers.reports import report_trial, tray_trial

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def test_report_page_shows_tables_and_a_chart(login_as, session):
    client = login_as("viewer")
    exp, _p, _t, _r = report_trial(session)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/reports").get_data(as_text=True)
    assert 'id="metric-leaf_count"' in html and "<svg" in html and "<path" in html
    assert "+1.50 ± 0.71" in html and "+5.00 ± 1.41" in html and "vs R0 +3.50" in html
    assert "style=" not in html.split("<main")[1]  # CSP: no inline styles
    by_grade = client.get(f"/experiments/{exp.id}/reports?split=grade").get_data(as_text=True)
    assert "grade: A" in by_grade


def test_empty_report_is_not_an_error(login_as, session):
    from tests.helpers import factories as f

    client = login_as("viewer")
    exp = f.make_experiment(session)
    session.commit()
    resp = client.get(f"/experiments/{exp.id}/reports")
    assert resp.status_code == 200 and b"No results yet" in resp.data


def test_csv_downloads(login_as, session):
    client = login_as("viewer")
    exp, _p, _t, _r = report_trial(session)
    session.commit()
    resp = client.get(f"/experiments/{exp.id}/export/metrics.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0] == ",".join(COLUMNS["metrics"]) and len(lines) == 1 + 16
    assert client.get(f"/experiments/{exp.id}/export/secrets.csv").status_code == 404
    assert client.get("/experiments/999999/export/plants.csv").status_code == 404


def test_api_exports_and_report(client, api_token, session):
    _u, raw = api_token("viewer")
    headers = {"Authorization": f"Bearer {raw}"}
    exp, _p, _t, _r = report_trial(session)
    session.commit()
    for name in ("plants", "events", "metrics", "feedings"):
        resp = client.get(f"/api/v1/experiments/{exp.id}/export/{name}.csv", headers=headers)
        assert resp.status_code == 200
        assert resp.get_data(as_text=True).splitlines()[0] == ",".join(COLUMNS[name])
    report = client.get(f"/api/v1/experiments/{exp.id}/report", headers=headers).json
    leaf = next(m for m in report["metrics"] if m["key"] == "leaf_count")
    r1 = next(c for c in leaf["cells"] if c["recipe"] == "R1" and c["week"] == 1)
    assert r1["mean"] == 5.0 and r1["n"] == 2 and r1["difference_vs_r0"] == 3.5
    bad = client.get(f"/api/v1/experiments/{exp.id}/report?split=colour", headers=headers)
    assert bad.status_code == 422


def test_report_opens_with_the_answer_and_marks_the_week_under_way(login_as, session):
    client = login_as("viewer")
    exp, _week1 = tray_trial(session)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/reports").get_data(as_text=True)
    answer = html.split('id="answer-leaf_count"')[1].split("</div>")[0]
    assert "After 1 week R1 plants gained" in answer and "2 trays each" in answer
    assert "Week 2 is still being measured (9 of 12 plants)" in answer
    assert "<th scope=\"row\">2*</th>" in html and 'fill="none"' in html  # hollow point
    assert "whiskers: 95% CI" in html
    small = client.get(f"/experiments/{report_trial(session)[0].id}/reports")
    assert "Too few trays to tell" in small.get_data(as_text=True)


def test_api_report_contrasts(client, api_token, session):
    _u, raw = api_token("viewer")
    exp, _week1 = tray_trial(session)
    session.commit()
    report = client.get(f"/api/v1/experiments/{exp.id}/report",
                        headers={"Authorization": f"Bearer {raw}"}).json
    assert report["weeks"] == [1, 2] and report["weeks_in_progress"] == [2]
    leaf = next(m for m in report["metrics"] if m["key"] == "leaf_count")
    contrast = next(c for c in leaf["contrasts"] if c["week"] == 1)
    assert set(contrast) == {"week", "stratum", "recipe", "vs", "estimate", "ci_low",
                             "ci_high", "p_value", "p_adjusted", "unit", "n_units",
                             "n_plants", "method"}
    assert (contrast["recipe"], contrast["vs"], contrast["unit"], contrast["method"],
            contrast["stratum"]) == ("R1", "R0", "tray", "ols-tray-means", None)
    assert contrast["n_units"] == {"R0": 2, "R1": 2}
    assert contrast["ci_low"] < contrast["estimate"] < contrast["ci_high"]
    fit = next(f for f in leaf["fits"] if f["week"] == 1)
    assert fit["df"] == 2 and fit["problem"] is None and 0 <= fit["icc"] <= 1


def test_design_check_and_calculator(login_as, hx_client, session):
    client = login_as("viewer", client=hx_client)
    exp, _week1 = tray_trial(session)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/design-check").get_data(as_text=True)
    assert "<html" not in html and 'id="design-check"' in html
    assert "R0 2 trays · R1 2 trays" in html
    assert "With 2 trays per recipe, the smallest difference detectable with 80% power" in html
    assert "Leaves:" in html and "this trial, week 1" in html
    asked = client.get(f"/experiments/{exp.id}/design-check?metric=leaf_count&difference=1"
                       "&sd=0.5").get_data(as_text=True)
    assert "you need <strong>6 trays per recipe</strong> (you have 2)" in asked
    assert "Enter the tray-to-tray spread" not in asked
    bad = client.get(f"/experiments/{exp.id}/design-check?difference=abc&sd=-1")
    assert bad.status_code == 200 and "trays per recipe</strong>" not in bad.get_data(True)
    overview = client.get(f"/experiments/{exp.id}/overview", headers={"HX-Boosted": "true"})
    assert f'hx-get="/experiments/{exp.id}/design-check" hx-trigger="load"' in \
        overview.get_data(as_text=True)


FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example","x")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0",
            "-2+3", "\t=1+1", "\r=1+1"]


def test_no_csv_cell_runs_as_a_formula_and_numbers_stay_numbers(login_as, session):
    from growapp.models import AdverseEvent, FeedingLog, PlantMetric, utcnow

    client = login_as("viewer")
    exp, plants, trays, _r = report_trial(session)
    plant = plants["a"]
    plant.cultivar = FORMULAS[0]
    plant.removed_reason = FORMULAS[2]
    for text in FORMULAS:
        session.add(FeedingLog(plant_id=plant.id, tray_id=trays[0].id, status="fed",
                               amount_ml=-5.5, notes=text, fed_at=utcnow()))
        session.add(AdverseEvent(plant_id=plant.id, kind="pest", severity=2, notes=text,
                                 observed_at=utcnow()))
    session.add(PlantMetric(plant_id=plants["b"].id, week_number=3, values={"leaf_count": -4}))
    session.commit()
    seen = 0
    for name in COLUMNS:
        resp = client.get(f"/experiments/{exp.id}/export/{name}.csv")
        assert resp.status_code == 200, name
        for row in csv.reader(io.StringIO(resp.get_data(as_text=True))):
            for cell in row:
                if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                    assert NUMBER.fullmatch(cell), (name, cell)
                if cell.startswith("'") and cell[1:] in FORMULAS:
                    seen += 1
    assert seen >= 2 * len(FORMULAS) + 2  # feedings, adverse, cultivar, reason
    feeds = list(csv.DictReader(io.StringIO(
        client.get(f"/experiments/{exp.id}/export/feedings.csv").get_data(as_text=True))))
    assert {r["amount_ml"] for r in feeds if r["notes"].startswith("'")} == {"-5.5"}
    metrics = client.get(f"/experiments/{exp.id}/export/metrics.csv").get_data(as_text=True)
    assert ",-4," in metrics
