"""The one CSV import write (web/csv_import.py) and its region macro (templates/
_csv_import.html), through both pages that use them: the plant import and the weekly
measurement import answer alike — preview, refused rows, file problems, 413 — and write
nothing until a clean confirm."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import Plant, PlantMetric, utcnow
from growapp.services.row_import import MAX_BYTES
from tests.helpers import factories as f

HX = {"HX-Request": "true"}


def _plants(session):
    exp = f.make_experiment(session)
    session.commit()
    return exp


def _measurements(session):
    exp, _t, _plants, _r = f.make_running_experiment(session, plants=2)
    exp.started_at = utcnow() - timedelta(weeks=2, hours=1)
    session.commit()
    return exp


IMPORTS = {
    "plants": dict(make=_plants, path="/plants/import", region="plant-import",
                   good=b'species,grade,notes\nVenus flytrap,A,"say ""hi"" <b>"\n'
                        b"Cape sundew,B,\n",
                   bad=b"species,grade\nVenus flytrap,A\nTriffid,B\n",
                   bad_message="Unknown species", confirm="Import 2 plants",
                   count=lambda exp: select(func.count(Plant.id)).where(
                       Plant.experiment_id == exp.id)),
    "measurements": dict(make=_measurements, path="/measurements/import",
                         region="measurement-import",
                         good=b"plant_code,week,leaf_count,vigour\nVFT-001,1,6,3\n"
                              b"VFT-002,1,5,4\n",
                         bad=b"plant_code,week,vigour\nVFT-001,1,3\nVFT-404,1,3\n",
                         bad_message="No plant VFT-404", confirm="Import 2 rows",
                         count=lambda exp: select(func.count(PlantMetric.id)).where(
                             PlantMetric.week_number > 0)),
}


@pytest.fixture(params=sorted(IMPORTS))
def flow(request, session, login_as):
    spec = IMPORTS[request.param]
    exp = spec["make"](session)
    return (spec, f"/experiments/{exp.id}{spec['path']}", login_as("operator"),
            lambda: session.scalar(spec["count"](exp)))


def test_preview_carries_the_text_back_then_confirm_writes(flow):
    spec, url, client, count = flow
    check = client.post(url, headers=HX, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(spec["good"]), "in.csv")})
    body = check.get_data(as_text=True)
    assert check.status_code == 200 and "<html" not in body and count() == 0
    assert body.startswith(f'<div id="{spec["region"]}">')
    assert body.count(f'hx-target="#{spec["region"]}"') == 2
    assert body.count(f'action="{url}"') == 2 and body.count('name="csrf_token"') == 2
    assert "2</strong> rows checked · <strong>0</strong> with problems" in body
    assert spec["confirm"] in body and "Fix these rows" not in body
    sent_back = html.unescape(re.search(r'name="csv_text" value="([^"]*)"', body).group(1))
    assert sent_back == spec["good"].decode()
    done = client.post(url, data={"csv_text": sent_back, "confirm": "1"})
    assert done.status_code == 303 and count() == 2



def test_a_second_tap_on_confirm_imports_nothing_more(flow):
    """The confirm form carries an idempotency key made for that preview: a double tap (or a
    retry whose answer was lost) answers what the first tap did. Plants without codes got
    fresh codes on the second post and were imported twice."""
    spec, url, client, count = flow
    body = client.post(url, headers=HX, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(spec["good"]), "in.csv")}).get_data(as_text=True)
    confirm = re.search(r'<form method="post" action="[^"]*"\s+hx-post[^>]*>(.*?)</form>', body,
                        re.S).group(0)
    assert 'hx-disabled-elt="find button"' in confirm
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'name="(\w+)" value="([^"]*)"', confirm)}
    assert fields.keys() >= {"csrf_token", "csv_text", "confirm", "idempotency_key"}
    first = client.post(url, headers=HX, data=fields)
    second = client.post(url, headers=HX, data=fields)
    assert first.status_code < 400 and second.status_code == first.status_code
    assert second.headers.get("HX-Redirect") == first.headers.get("HX-Redirect")
    assert second.get_data() == first.get_data()
    assert count() == 2

def test_refused_rows_are_listed_and_nothing_is_written(flow):
    spec, url, client, count = flow
    for data in ({"file": (io.BytesIO(spec["bad"]), "in.csv")},
                 {"csv_text": spec["bad"].decode(), "confirm": "1"}):
        resp = client.post(url, headers=HX, data=data, content_type="multipart/form-data")
        body = resp.get_data(as_text=True)
        assert resp.status_code == (200 if "file" in data else 422), body
        assert spec["bad_message"] in body and '<tr class="bad">' in body
        assert "Fix these rows in your spreadsheet" in body and spec["confirm"] not in body
        assert 'name="confirm"' not in body
    assert "Nothing was imported: 1 of 2 rows have problems." in body
    assert count() == 0


def test_file_problems_are_422_and_oversize_413(flow):
    spec, url, client, count = flow
    empty = client.post(url, headers=HX, data={})
    assert empty.status_code == 422
    assert "Choose a CSV file first. No file was chosen." in empty.get_data(as_text=True)
    binary = client.post(url, headers=HX, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"\x00\x01"), "x.csv")})
    text = binary.get_data(as_text=True)
    assert binary.status_code == 422 and "The file looks binary" in text
    assert "import-preview" not in text and 'name="confirm"' not in text
    big = client.post(url, headers=HX, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(spec["good"] + b" " * MAX_BYTES), "big.csv")})
    assert big.status_code == 413 and "larger than 2 MB" in big.get_data(as_text=True)
    page = client.post(url, data={"csv_text": spec["bad"].decode(), "confirm": "1"})
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert count() == 0
