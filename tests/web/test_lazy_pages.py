"""Big trials: the overview roster and the feeding queue arrive a page at a time; the first
page carries a sentinel that htmx loads when revealed, and a plain link without JS."""

import re

from growapp.services import feeding
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
