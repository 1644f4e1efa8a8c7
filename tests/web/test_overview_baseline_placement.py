"""Overview hub, baseline capture, placement: pages, fragments, 409/422 in place."""

from sqlalchemy import func, select

from growapp.models import PlantMetric, TrayPlant
from tests.helpers import factories as f


def test_overview_groups_and_chips(login_as, session):
    client = login_as("viewer")
    exp, trays, plants = f.make_draft_to_place(session)
    f.make_plant(session, exp, code="VFT-900", tray=trays[0], grade="A", baseline=True)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    assert 'id="roster-tray-' in html and "TR1" in html and "1/2" in html
    assert 'id="roster-unplaced"' in html and "VFT-001" in html
    assert "Needs baseline" in html and 'id="map-tent-' in html
    assert f"/p/{plants[0].uuid}?from=" in html


def test_chip_filter_fragment_and_search(hx_client, login_as, session):
    client = login_as("viewer", client=hx_client)
    exp, trays, plants = f.make_draft_to_place(session)
    f.make_plant(session, exp, code="VFT-900", tray=trays[0], grade="A", baseline=True)
    session.commit()
    resp = client.get(f"/experiments/{exp.id}/overview?filter=needs_grade")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body and 'id="roster"' in body
    assert "VFT-001" in body and "VFT-900" not in body
    assert 'aria-current="true"' in body and "HX-Request" in resp.headers["Vary"]
    found = client.get(f"/experiments/{exp.id}/overview?q=900").get_data(as_text=True)
    assert "VFT-900" in found and "VFT-001" not in found
    bogus = client.get(f"/experiments/{exp.id}/overview?filter=nonsense")
    assert bogus.status_code == 200  # falls back to active


def test_baseline_save_and_next(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, plants = f.make_draft_to_place(session)
    page = client.get(f"/experiments/{exp.id}/baseline", headers={"HX-Request": "false"})
    assert b"0 / 3" in page.data and b"VFT-001" in page.data
    resp = client.post(f"/experiments/{exp.id}/baseline/{plants[0].uuid}",
                       data={"m_leaf_count": "7", "m_vigour": "4", "m_colour": "red",
                             "m_flowering": ["false", "true"], "grade": "B"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body
    assert "Saved baseline of VFT-001" in body and "1 / 3" in body
    assert f'id="baseline-{plants[1].uuid}"' in body  # the next plant is up
    values = session.scalar(select(PlantMetric.values).where(PlantMetric.plant_id == plants[0].id))
    assert values["flowering"] is True and values["leaf_count"] == 7


def test_baseline_422_and_locked_409(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, plants = f.make_draft_to_place(session, plants=1)
    bad = client.post(f"/experiments/{exp.id}/baseline/{plants[0].uuid}",
                      data={"m_leaf_count": "-3", "m_vigour": "9", "grade": "A"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" not in body
    assert "between 0 and 500" in body and "between 1 and 5" in body
    assert 'value="-3"' in body  # what was typed is kept
    no_grade = client.post(f"/experiments/{exp.id}/baseline/{plants[0].uuid}",
                           data={"m_vigour": "3"})
    assert no_grade.status_code == 422 and b"Choose A, B or C" in no_grade.data
    assert session.scalar(select(func.count(PlantMetric.id)).where(
        PlantMetric.plant_id == plants[0].id)) == 0
    client.post(f"/experiments/{exp.id}/baseline/{plants[0].uuid}",
                data={"m_vigour": "3", "grade": "A"})
    exp.status = "running"
    session.commit()
    locked = client.post(f"/experiments/{exp.id}/baseline/{plants[0].uuid}",
                         data={"m_vigour": "5", "grade": "A"})
    assert locked.status_code == 409 and b"locked" in locked.data


def test_placement_add_remove_and_full(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, trays, plants = f.make_draft_to_place(session, plants=3, capacity=2)
    for p in plants[:2]:
        resp = client.post(f"/experiments/{exp.id}/placement/trays/{trays[0].id}/add",
                           data={"plant_uuid": str(p.uuid)})
        # The tray's card alone, with the counts and the unplaced group out of band.
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200 and body.startswith(f'<article class="card tray-card" '
                                                           f'id="tray-{trays[0].id}">')
        assert 'id="placement-counts" hx-swap-oob="true"' in body and "<html" not in body
        assert 'id="unplaced-slot" hx-swap-oob="true"' in body and "Placed." in body
    full = client.post(f"/experiments/{exp.id}/placement/trays/{trays[0].id}/add",
                       data={"plant_uuid": str(plants[2].uuid)})
    assert full.status_code == 409 and b"Tray TR1 is full (2/2)" in full.data
    assert b"<html" not in full.data
    assert b"TR1 is full (2/2)." in full.data  # the picker says why it offers nothing
    out = client.post(f"/experiments/{exp.id}/placement/trays/{trays[0].id}/remove",
                      data={"plant_uuid": str(plants[0].uuid)})
    assert out.status_code == 200
    assert session.scalar(select(func.count(TrayPlant.id)).where(
        TrayPlant.tray_id == trays[0].id)) == 1
    empty = client.post(f"/experiments/{exp.id}/placement/trays/{trays[0].id}/add", data={})
    assert empty.status_code == 422
    by_code = client.post(f"/experiments/{exp.id}/placement/trays/{trays[1].id}/add",
                          data={"plant_code": "vft-003"})
    assert by_code.status_code == 200
    unknown = client.post(f"/experiments/{exp.id}/placement/trays/{trays[1].id}/add",
                          data={"plant_code": "NOPE-1"})
    assert unknown.status_code == 422 and b"No plant NOPE-1" in unknown.data


def test_auto_place_preview_then_apply(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, _plants = f.make_draft_to_place(session, plants=4, capacity=2)
    preview = client.post(f"/experiments/{exp.id}/placement/auto/preview",
                          data={"mode": "randomized", "seed": "11"})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="auto-preview"' in body
    assert "4</strong> plants would be placed" in body and "seed <strong>11" in body
    assert session.scalar(select(func.count(TrayPlant.id))) == 0
    applied = client.post(f"/experiments/{exp.id}/placement/auto",
                          data={"mode": "randomized", "seed": "11"})
    assert applied.status_code == 200 and b"Placed 4 plants (seed 11)" in applied.data
    session.refresh(exp)
    assert exp.randomization_seed == 11


def test_auto_place_partial_needs_confirmation(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, _plants = f.make_draft_to_place(session, plants=5, capacity=2)
    preview = client.post(f"/experiments/{exp.id}/placement/auto/preview", data={"mode": "fill"})
    assert b"1 plant cannot be placed" in preview.data and b'name="allow_partial"' in preview.data
    refused = client.post(f"/experiments/{exp.id}/placement/auto", data={"mode": "fill"})
    assert refused.status_code == 409 and b"Confirm to place the other plants" in refused.data
    ok = client.post(f"/experiments/{exp.id}/placement/auto",
                     data={"mode": "fill", "allow_partial": "1"})
    assert ok.status_code == 200 and b"1 could not be placed" in ok.data
    bad_seed = client.post(f"/experiments/{exp.id}/placement/auto/preview",
                           data={"mode": "randomized", "seed": "abc"})
    assert bad_seed.status_code == 422


def test_plant_and_tray_pages_honour_safe_from(login_as, session):
    client = login_as("viewer")
    exp, trays, plants = f.make_draft_to_place(session)
    page = client.get(f"/p/{plants[0].uuid}?from=/experiments/{exp.id}/overview?filter=removed")
    assert page.status_code == 200 and b"VFT-001" in page.data
    assert f'href="/experiments/{exp.id}/overview?filter=removed"'.encode() in page.data
    evil = client.get(f"/p/{plants[0].uuid}?from=https://evil.example/")
    assert b"evil.example" not in evil.data
    assert client.get(f"/t/{trays[0].uuid}").status_code == 200
    assert client.get("/p/00000000-0000-0000-0000-000000000000").status_code == 404


def test_roster_escapes_user_text(login_as, session):
    client = login_as("viewer")
    exp, _trays, plants = f.make_draft_to_place(session, plants=1)
    plants[0].cultivar = '<script>alert(1)</script>"'
    session.commit()
    html = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
