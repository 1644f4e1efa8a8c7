"""Reports page, CSV downloads (page and API), streamed with the documented columns."""

from growapp.services.exports import COLUMNS
from tests.helpers.reports import report_trial


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
