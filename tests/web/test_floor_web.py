"""Cockpit, tray page, feeding queue, rotation and weekly round: pages, fragments, 409/422,
double taps."""

import re

from sqlalchemy import func, select

from growapp.models import FeedingLog, Note, PlantMetric, RotationLog
from tests.helpers import factories as f


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_signed_out_scan_goes_to_login_and_back(app, session):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    resp = app.test_client().get(f"/p/{plants[0].uuid}")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/login?next=/p/{plants[0].uuid}"


def test_cockpit_page_shows_context_and_next_actions(login_as, session):
    client = login_as("operator")
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    html = client.get(f"/p/{plants[0].uuid}").get_data(as_text=True)
    assert 'id="plant-bar"' in html and "VFT-001" in html and "TR1" in html
    assert "Feed — never fed" in html and "Fed</button>" in html and "✓" not in html
    assert 'name="idempotency_key"' in html


def test_feed_fragment_double_tap_logs_once(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    page = client.get(f"/p/{plants[0].uuid}", headers={"HX-Request": "false"}).get_data(
        as_text=True)
    data = {"status": "fed", "idempotency_key": _key(page)}
    first = client.post(f"/p/{plants[0].uuid}/feed", data=data)
    second = client.post(f"/p/{plants[0].uuid}/feed", data=data)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    body = first.get_data(as_text=True)
    assert "<html" not in body and 'id="cockpit"' in body and "Undo" in body
    assert 'hx-swap-oob="beforeend"' in body and "Fed R1" in body  # activity updated
    assert session.scalar(select(func.count(FeedingLog.id)).where(
        FeedingLog.plant_id == plants[0].id)) == 1


def test_feed_409_and_skip_422_fragments(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _t, plants, _r = f.make_running_experiment(session)
    unplaced = f.make_plant(session, exp)
    session.commit()
    resp = client.post(f"/p/{unplaced.uuid}/feed", data={"status": "fed"})
    assert resp.status_code == 409 and b"not in a tray" in resp.data and b"<html" not in resp.data
    skip = client.post(f"/p/{plants[0].uuid}/feed", data={"status": "skipped"})
    assert skip.status_code == 422 and b"Say why" in skip.data


def test_note_too_long_and_plain_post_redirect(login_as, session):
    client = login_as("operator")
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    long = client.post(f"/p/{plants[0].uuid}/note", data={"text": "x" * 100_000})
    assert long.status_code == 422 and b"under 10,000" in long.data and b"<html" in long.data
    ok = client.post(f"/p/{plants[0].uuid}/note", data={"text": "leaf spots"})
    assert ok.status_code == 303 and ok.headers["Location"].startswith(f"/p/{plants[0].uuid}")
    assert session.scalar(select(Note.text).where(Note.plant_id == plants[0].id)) == "leaf spots"


def test_a_plain_form_feed_reads_no_cockpit_it_does_not_show(login_as, session, connection):
    """A plain form post is answered with a redirect: the cockpit is read by the page it
    leads to, not also by the post (eight statements more per tap before)."""
    from tests.helpers.statements import count_statements

    client = login_as("operator")
    _exp, _t, plants, _r = f.make_running_experiment(session, plants=3)
    session.commit()
    client.get(f"/p/{plants[0].uuid}")
    with count_statements(connection) as page:
        client.get(f"/p/{plants[0].uuid}")
    counts = []
    for plant, headers in ((plants[1], {}), (plants[2], {"HX-Request": "true"})):
        with count_statements(connection) as statements:
            resp = client.post(f"/p/{plant.uuid}/feed", data={"status": "fed"}, headers=headers)
        assert resp.status_code == (303 if not headers else 200)
        counts.append(len(statements))
    plain, fragment = counts
    assert fragment - plain >= len(page) - 4, (counts, len(page))  # the fragment reads it


def test_measure_from_cockpit(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    bad = client.post(f"/p/{plants[0].uuid}/measure", data={"week_number": "1", "m_vigour": "7"})
    assert bad.status_code == 422 and b"between 1 and 5" in bad.data
    ok = client.post(f"/p/{plants[0].uuid}/measure", data={"week_number": "1", "m_vigour": "4"})
    assert ok.status_code == 200 and b"Week 1 measured" in ok.data
    assert session.scalar(select(PlantMetric.values).where(
        PlantMetric.plant_id == plants[0].id, PlantMetric.week_number == 1))["vigour"] == 4


def test_replace_redirects_to_the_new_plant(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    resp = client.post(f"/p/{plants[0].uuid}/replace", data={"reason": "rotten"})
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].startswith("/p/")
    again = client.post(f"/p/{plants[0].uuid}/replace", data={"reason": "x"})
    assert again.status_code == 409 and b"already been replaced" in again.data


def test_unknown_plant_is_a_friendly_404(login_as):
    client = login_as("viewer")
    resp = client.get("/p/2f1c7e3a-0000-4000-8000-000000000000")
    assert resp.status_code == 404 and b"No plant has that code" in resp.data
    assert b'name="q"' in resp.data  # the scanner is offered a search


def test_feeding_queue_tray_feed_and_undo(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, trays, _plants, _r = f.make_running_experiment(session, plants=4, trays=2)
    session.commit()
    page = client.get(f"/experiments/{exp.id}/feeding", headers={"HX-Request": "false"})
    html = page.get_data(as_text=True)
    assert "4</strong> plants to feed" in html and f'id="feed-tray-{trays[0].id}"' in html
    fed = client.post(f"/experiments/{exp.id}/feeding/trays/{trays[0].id}",
                      data={"idempotency_key": _key(html)})
    body = fed.get_data(as_text=True)
    assert fed.status_code == 200 and "2</strong> plants to feed" in body
    assert f'id="feed-tray-{trays[0].id}"' not in body and "Undo" in body
    ids = re.findall(r'name="log_id" value="(\d+)"', body)
    undo = client.post("/feeding/undo", data={"log_id": ids})
    assert undo.status_code == 204 and undo.headers["HX-Refresh"] == "true"
    assert session.scalar(select(func.count(FeedingLog.id))) == 0


def test_feeding_queue_blockers_when_not_running(login_as, session):
    client = login_as("viewer")
    exp = f.make_ready_experiment(session)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/feeding").get_data(as_text=True)
    assert "feeding is logged only while it runs" in html


def test_rotation_pick_then_move(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, trays, _plants, _r = f.make_running_experiment(session, plants=2, trays=2)
    session.commit()
    pick = client.get(f"/experiments/{exp.id}/rotation?tray={trays[0].id}")
    body = pick.get_data(as_text=True)
    assert "Tap where TR1 goes" in body and "move here" in body and "swap" in body
    first, second = trays[0].slot_id, trays[1].slot_id
    swapped = client.post(f"/experiments/{exp.id}/rotation",
                          data={"tray": str(trays[0].id), "to_slot_id": str(second)})
    assert swapped.status_code == 200 and b"Swapped." in swapped.data
    session.refresh(trays[0])
    session.refresh(trays[1])
    assert (trays[0].slot_id, trays[1].slot_id) == (second, first)
    assert session.scalar(select(func.count(RotationLog.id))) == 2
    stopped = f.make_ready_experiment(session)
    session.commit()
    page = client.get(f"/experiments/{stopped.id}/rotation", headers={"HX-Request": "false"})
    assert b"rotate only while the experiment runs" in page.data


def test_tray_page_feed_and_move(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, trays, _plants, _r = f.make_running_experiment(session, plants=2, trays=1)
    session.commit()
    page = client.get(f"/t/{trays[0].uuid}", headers={"HX-Request": "false"})
    assert b"Feed whole tray (2)" in page.data
    fed = client.post(f"/t/{trays[0].uuid}/feed", data={})
    assert fed.status_code == 200 and b"Fed 2 plants in TR1" in fed.data
    occupied = client.post(f"/t/{trays[0].uuid}/move",
                           data={"to_slot_id": str(trays[0].slot_id)})
    assert occupied.status_code == 409 and b"already in" in occupied.data


def test_weekly_round_save_and_next(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _t, plants, _r = f.make_running_experiment(session, plants=2)
    session.commit()
    page = client.get(f"/experiments/{exp.id}/observe?week=2", headers={"HX-Request": "false"})
    assert b"0 / 2" in page.data and b"VFT-001" in page.data
    resp = client.post(f"/experiments/{exp.id}/observe/2/{plants[0].uuid}",
                       data={"m_vigour": "4", "m_leaf_count": "9"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "1 / 2" in body and f'id="observe-{plants[1].uuid}"' in body
    bad = client.post(f"/experiments/{exp.id}/observe/2/{plants[1].uuid}",
                      data={"m_vigour": "x"})
    assert bad.status_code == 422 and b"must be a whole number" in bad.data


def test_the_round_goes_on_from_the_plant_just_measured(hx_client, login_as, session):
    """"Save and next" shows the next plant along, not the first one still to do: the walk
    starts at the saved plant (it used to step past every plant measured so far) and comes
    back for a skipped plant at the end of the round; a plain form lands on the same one."""
    client = login_as("operator", client=hx_client)
    exp, _t, plants, _r = f.make_running_experiment(session, plants=5)
    session.commit()
    first, skipped, third, fourth, last = plants
    url = f"/experiments/{exp.id}/observe"

    def save(plant, **headers):
        return client.post(f"{url}/1/{plant.uuid}", data={"m_vigour": "4"}, headers=headers)

    assert f'id="observe-{skipped.uuid}"' in save(first).get_data(as_text=True)
    page = client.get(f"{url}?week=1&plant={third.uuid}", headers={"HX-Request": "false"})
    assert f'id="observe-{third.uuid}"' in page.get_data(as_text=True)  # 002 skipped
    assert f'id="observe-{fourth.uuid}"' in save(third).get_data(as_text=True)
    plain = save(fourth, **{"HX-Request": "false"})
    assert plain.status_code == 303 and f"after={fourth.plant_code}" in plain.headers["Location"]
    landed = client.get(plain.headers["Location"], headers={"HX-Request": "false"})
    assert f'id="observe-{last.uuid}"' in landed.get_data(as_text=True)
    body = save(last).get_data(as_text=True)  # the end of the round: back for the skipped one
    assert "4 / 5" in body and f'id="observe-{skipped.uuid}"' in body


def test_find_by_code(login_as, session):
    client = login_as("viewer")
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    html = client.get("/find?q=vft-00").get_data(as_text=True)
    assert f"/p/{plants[0].uuid}" in html and f"/p/{plants[1].uuid}" in html


def test_weekly_round_reports_an_issue_and_returns(login_as, session):
    client = login_as("operator")
    exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    back = f"/experiments/{exp.id}/observe?week=1&plant={plants[0].uuid}"
    page = client.get(back).get_data(as_text=True)
    assert 'name="next"' in page and "Issue" in page
    resp = client.post(f"/p/{plants[0].uuid}/adverse",
                       data={"kind": "pest", "severity": "2", "next": back})
    assert resp.status_code == 303 and resp.headers["Location"] == back
    evil = client.post(f"/p/{plants[0].uuid}/note",
                       data={"text": "x", "next": "https://evil.example/"})
    assert evil.headers["Location"].startswith(f"/p/{plants[0].uuid}")


def test_feeding_queue_form_per_tray_keys_per_plant(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=2, trays=1)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/feeding",
                      headers={"HX-Request": "false"}).get_data(as_text=True)
    key = _key(html.split('action="/experiments')[2])  # the tray's plant form
    url = f"/experiments/{exp.id}/feeding/plants"
    first = client.post(url, data={"plant_uuid": str(plants[0].uuid), "idempotency_key": key})
    tap_again = client.post(url, data={"plant_uuid": str(plants[0].uuid),
                                       "idempotency_key": key})
    other = client.post(url, data={"plant_uuid": str(plants[1].uuid), "idempotency_key": key})
    assert first.status_code == tap_again.status_code == other.status_code == 200
    assert tap_again.headers.get("Idempotent-Replayed") == "true"
    assert session.scalar(select(func.count(FeedingLog.id))) == 2
