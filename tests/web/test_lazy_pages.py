"""Big trials: the overview roster and the feeding queue arrive a page at a time; the first
page carries a sentinel that htmx loads when revealed, and a plain link without JS."""

import re

from growapp.services.read import feeding_queue as feeding
from growapp.services.read import overview
from tests.helpers import factories as f


def _follow(client, html):
    """Every page after the first, through the sentinels; returns the concatenated HTML."""
    out = html
    while m := re.search(r'hx-get="([^"]+)" hx-trigger="revealed"', html):
        url = m.group(1).replace("&amp;", "&")
        resp = client.get(url, headers={"HX-Request": "true"})
        assert resp.status_code == 200 and "<html" not in resp.get_data(as_text=True)
        html = resp.get_data(as_text=True)
        out += html
    return out


def test_overview_roster_loads_the_rest_when_revealed(login_as, session, monkeypatch):
    monkeypatch.setattr(overview, "ROW_BUDGET", 6)
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=12, trays=4)
    session.commit()
    client = login_as("viewer")
    first = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    assert 'hx-trigger="revealed"' in first and ">More plants</a>" in first
    assert first.count('class="plant-link') < 12
    everything = _follow(client, first)
    for p in plants:
        assert everything.count(f'id="plant-{p.uuid}"') == 1
    searched = client.get(f"/experiments/{exp.id}/overview?q=VFT-01",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "3 plants" in searched  # VFT-010..012, counted over every page
    no_js = re.search(r'<a class="btn btn-block" href="([^"]+)">More plants', first).group(1)
    assert client.get(no_js.replace("&amp;", "&")).status_code == 200


def test_feeding_queue_loads_the_rest_when_revealed(login_as, session, monkeypatch):
    monkeypatch.setattr(feeding, "QUEUE_BUDGET", 3)
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=12, trays=4)
    session.commit()
    client = login_as("operator")
    first = client.get(f"/experiments/{exp.id}/feeding").get_data(as_text=True)
    assert re.search(r'id="feeding-remaining">12<', first)
    assert first.count('id="feed-tray-') == 1
    everything = _follow(client, first)
    assert everything.count('id="feed-tray-') == 4
    for p in plants:
        assert everything.count(f'id="feed-{p.uuid}"') == 1


def _follow_any(client, html, trigger):
    """Like _follow, for sentinels with another trigger (``intersect once`` in groups)."""
    out = html
    pattern = rf'hx-get="([^"]+)" hx-trigger="{trigger}"'
    while m := re.search(pattern, html):
        resp = client.get(m.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
        assert resp.status_code == 200 and "<html" not in resp.get_data(as_text=True)
        html = resp.get_data(as_text=True)
        out += html
    return out


def _placement_trial(session, placed: int, unplaced: int, trays: int = 6,
                     capacity: int | None = None):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp, positions=trays)
    recipe = f.make_recipe(session, exp)
    rows = [f.make_tray(session, exp, f"TR{i + 1}", capacity=capacity or placed,
                        slot=tent.slots[i],
                        recipe=recipe) for i in range(trays)]
    plants = [f.make_plant(session, exp, code=f"VFT-{i + 1:03d}",
                           tray=rows[i % trays] if i < placed else None)
              for i in range(placed + unplaced)]
    session.commit()
    return exp, rows, plants


def test_placement_pages_trays_and_the_unplaced_group(login_as, session, monkeypatch):
    from growapp.services.read import placement

    monkeypatch.setattr(placement, "PAGE_BUDGET", 5)
    monkeypatch.setattr(placement, "UNPLACED_PAGE", 4)
    exp, rows, plants = _placement_trial(session, placed=12, unplaced=10)
    client = login_as("operator")
    first = client.get(f"/experiments/{exp.id}/placement").get_data(as_text=True)
    assert first.count('class="card tray-card"') < 6
    assert first.count('id="placed-') < 12
    assert "<strong>10</strong> unplaced" in first and "Unplaced (10)" in first
    assert re.search(r'hx-trigger="intersect once"', first)  # inside the closed group
    trays = _follow(client, first)
    assert trays.count('class="card tray-card"') == 6
    unplaced = _follow_any(client, first, "intersect once")
    for p in plants[:12]:
        assert trays.count(f'id="placed-{p.uuid}"') == 1
    for p in plants[12:]:
        assert unplaced.count(f"<li>{p.plant_code} ") == 1
    # Without JS the sentinels are links to the page at that point.
    no_js = re.search(r'<a class="btn btn-block" href="([^"]+)">More trays', first).group(1)
    assert client.get(no_js.replace("&amp;", "&")).status_code == 200
    # The suggestions are bounded; typing asks the server for the matching ones.
    typed = client.get(f"/experiments/{exp.id}/placement/trays/{rows[0].id}/choices"
                       "?plant_code=vft-02", headers={"HX-Request": "true"})
    assert typed.status_code == 200
    assert typed.get_data(as_text=True).count("<option") == 3  # VFT-020…022, unplaced
    assert client.get(f"/experiments/{exp.id + 99}/placement/trays/{rows[0].id}/choices"
                      ).status_code == 404


def test_placement_search_narrows_trays_and_unplaced(login_as, hx_client, session):
    exp, rows, plants = _placement_trial(session, placed=12, unplaced=10)
    client = login_as("operator", client=hx_client)
    resp = client.get(f"/experiments/{exp.id}/placement?q=VFT-01")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.startswith('<div id="placement-list">')
    # VFT-010..012 sit in trays 4, 5, 6; VFT-013..019 are unplaced.
    assert body.count('class="card tray-card"') == 3
    assert sorted(re.findall(r'<span>(VFT-\d+) ', body)) == ["VFT-010", "VFT-011", "VFT-012"]
    assert "7 unplaced" in body and "Unplaced (7)" in body
    assert body.count('name="q" value="VFT-01"') == 6  # add and remove keep the search
    nothing = client.get(f"/experiments/{exp.id}/placement?q=zzz").get_data(as_text=True)
    assert "No tray holds a plant matching" in nothing and "Unplaced (" not in nothing


def test_placement_write_on_a_later_page_swaps_its_card(login_as, hx_client, session,
                                                        monkeypatch):
    from growapp.services.read import placement

    monkeypatch.setattr(placement, "PAGE_BUDGET", 3)
    exp, rows, plants = _placement_trial(session, placed=6, unplaced=2, capacity=2)
    client = login_as("operator", client=hx_client)
    last = rows[-1]
    page = client.get(f"/experiments/{exp.id}/placement").get_data(as_text=True)
    assert f'id="tray-{last.id}"' not in page  # on a later page
    resp = client.post(f"/experiments/{exp.id}/placement/trays/{last.id}/add",
                       data={"plant_code": plants[6].plant_code})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.startswith(f'<article class="card tray-card" '
                                                       f'id="tray-{last.id}">')
    assert f'id="placed-{plants[6].uuid}"' in body and "<strong>1</strong> unplaced" in body
    full = client.post(f"/experiments/{exp.id}/placement/trays/{last.id}/add",
                       data={"plant_code": plants[7].plant_code})
    body = full.get_data(as_text=True)
    assert full.status_code == 409 and f'id="tray-{last.id}"' in body
    assert "is full" in body and 'class="problem problem-409"' in body


def test_baseline_page_lists_two_screens_and_the_next_after_grading(login_as, session):
    """Issue 13: the first page weighs the same in a big trial as in a small one: 40 plants
    to grade and 40 still to do (the rest of "Still to do" loads as it is read); grading
    those 40 at once brings the next ones."""
    from growapp.web.baseline.routes import GRADE_LIST_MAX, QUEUE_PAGE

    assert GRADE_LIST_MAX == QUEUE_PAGE == 40
    exp = f.make_experiment(session)
    made = [f.make_plant(session, exp, code=f"VFT-{i:03d}") for i in range(1, 46)]
    session.commit()
    client = login_as("operator")
    page = client.get(f"/experiments/{exp.id}/baseline").get_data(as_text=True)
    assert "<strong>0 / 45</strong> done" in page and "Still to do (45)" in page
    assert page.count('class="grade-line"') == 40 and "listed here (40)" in page
    assert page.count("?plant=") == 40 and "More plants to do" in page
    resp = client.post(f"/experiments/{exp.id}/baseline/grades", data={
        "plant": [str(p.uuid) for p in made[:40]], "all": "B"}, follow_redirects=True)
    after = resp.get_data(as_text=True)
    assert "Graded 40 plants." in after
    assert after.count('class="grade-line"') == 5 and 'id="grade-' + str(made[40].uuid) in after


def test_baseline_queue_is_paged_and_loads_the_rest_when_read(login_as, session,
                                                              monkeypatch):
    from growapp.web.baseline import routes as baseline_routes

    monkeypatch.setattr(baseline_routes, "QUEUE_PAGE", 4)
    exp = f.make_experiment(session)
    made = [f.make_plant(session, exp, code=f"VFT-{i:03d}", baseline=i % 3 == 0,
                         grade="A" if i % 3 == 0 else None) for i in range(1, 16)]
    session.commit()
    to_do = [p for p in made if p.grade is None]
    client = login_as("operator")
    first = client.get(f"/experiments/{exp.id}/baseline").get_data(as_text=True)
    assert "<strong>5 / 15</strong> done" in first and f"Still to do ({len(to_do)})" in first
    assert first.count("?plant=") == 4  # one page of the queue
    assert "VFT-001" in first[first.index("baseline-card"):]  # the first to do is in hand
    everything = _follow_any(client, first, "intersect once")
    for p in to_do:
        assert everything.count(f"?plant={p.uuid}") == 1
    no_js = re.search(r'<a class="btn btn-block" href="([^"]+)">More plants to do', first)
    later = client.get(no_js.group(1).replace("&amp;", "&"))
    assert later.status_code == 200 and "<html" in later.get_data(as_text=True)
    assert later.get_data(as_text=True).count("?plant=") == 4
