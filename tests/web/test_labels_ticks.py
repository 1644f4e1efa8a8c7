"""The labels selection on a big trial: the page lists no plants; the tick list loads a page
at a time when opened, keeps the ticked plants whatever is searched or loaded, and "all
matching" prints every matching plant, resolved on the server, not the loaded page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from growapp.models import Job
from growapp.services.labels import ticks
from growapp.services.labels.sheet_templates import ensure_label_templates
from tests.helpers import factories as f


@pytest.fixture
def big(session):
    ensure_label_templates(session)
    exp = f.make_experiment(session)
    dro = f.species(session, "Cape sundew")
    made = [f.make_plant(session, exp, code=f"VFT-{i:03d}") for i in range(1, 31)]
    made += [f.make_plant(session, exp, code=f"DRO-{i:03d}", sp=dro) for i in range(1, 11)]
    session.commit()
    return exp, made


def _follow(client, html):
    out = html
    while m := re.search(r'hx-get="([^"]+)" hx-trigger="intersect once"', html):
        resp = client.get(m.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "<html" not in html
        out += html
    return out


def test_page_lists_no_plants_and_the_list_pages_cover_each_once(login_as, big, monkeypatch):
    monkeypatch.setattr(ticks, "TICKS_PAGE", 7)
    exp, made = big
    client = login_as("operator")
    page = client.get(f"/experiments/{exp.id}/labels").get_data(as_text=True)
    assert 'name="plant"' not in page  # nothing listed until the group is opened
    assert 'Tick plants (<span id="labels-ticks-count">40</span>)' in page
    assert 'hx-trigger="intersect once"' in page and 'hx-include="#labels-ticked"' in page
    listed = _follow(client, page)
    for p in made:
        assert listed.count(f'value="{p.uuid}"') == 1
    no_js = client.get(f"/experiments/{exp.id}/labels?ticks=7").get_data(as_text=True)
    assert no_js.count('name="plant"') == 7 and "More plants</a>" in no_js


def test_ticked_plants_stay_in_the_form_and_out_of_the_list(login_as, big):
    exp, made = big
    client = login_as("operator")
    picked = [made[3], made[35]]
    page = client.get(f"/experiments/{exp.id}/labels", query_string={
        "submitted": "1", "plants": "selected", "plant": [str(p.uuid) for p in picked]}
    ).get_data(as_text=True)
    block = page[page.index('id="labels-ticked"'):page.index('id="labels-ticks-list"')]
    assert block.count("checked") == 2 and "VFT-004" in block and "DRO-006" in block
    assert "<strong>2</strong> labels" in page
    # The list's pages leave the ticked plants out (they are already in the form) ...
    first = client.get(f"/experiments/{exp.id}/labels/plants", query_string={
        "at": 0, "plant": [str(p.uuid) for p in picked]}).get_data(as_text=True)
    assert f'value="{picked[0].uuid}"' not in first and 'value="' in first
    # ... and a new search keeps every tick sent with it, and counts what matches.
    searched = client.get(f"/experiments/{exp.id}/labels/plants", query_string={
        "whole": "1", "q": "dro", "plant": [str(p.uuid) for p in picked]},
        headers={"HX-Request": "true"}).get_data(as_text=True)
    ticked = searched[searched.index('id="labels-ticked"'):searched.index('id="labels-ticks-list"')]
    assert ticked.count("checked") == 2
    listed = searched[searched.index('id="labels-ticks-list"'):]
    assert listed.count('name="plant"') == 9 and "VFT-" not in listed  # DRO, less DRO-006
    assert '<span id="labels-ticks-count" hx-swap-oob="true">10</span>' in searched


def test_all_matching_means_every_matching_plant(app, login_as, session, big, monkeypatch):
    monkeypatch.setattr(ticks, "TICKS_PAGE", 5)
    exp, made = big
    client = login_as("operator")
    preview = client.get(f"/experiments/{exp.id}/labels", query_string={
        "submitted": "1", "plants": "all", "q": "VFT-01"}, headers={"HX-Request": "true"})
    assert "<strong>10</strong> labels" in preview.get_data(as_text=True)  # VFT-010…019
    job = client.post(f"/experiments/{exp.id}/labels/jobs", data={
        "submitted": "1", "plants": "all", "q": "vft-0", "kind": "plants"})
    assert job.status_code == 303
    row = session.scalar(select(Job).where(Job.experiment_id == exp.id))
    wanted = {p.id for p in made if p.plant_code.startswith("VFT-0")}
    assert len(wanted) == 30 and set(row.options["ids"]) == wanted  # not the 5 listed
    nothing = client.get(f"/experiments/{exp.id}/labels", query_string={
        "submitted": "1", "plants": "all", "q": "zzz"}, headers={"HX-Request": "true"})
    assert "Nothing to print with these choices" in nothing.get_data(as_text=True)
