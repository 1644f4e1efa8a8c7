"""The floor defects found trying growapp on a phone (issue 10), one test each."""

import io
import re
from datetime import timedelta

from sqlalchemy import select

from growapp.models import Event, FeedingLog, Lot, Plant, PlantMetric, utcnow
from tests.helpers import factories as f

EMOJI = re.compile("[\U0001F000-\U0001FFFF\u2600-\u27BF\u2B00-\u2BFF]")


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def _page(client, url):
    return client.get(url, headers={"HX-Request": "false"}).get_data(as_text=True)


def test_queue_plant_links_do_not_inherit_the_queue_target(login_as, session):
    client = login_as("operator")
    exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    html = _page(client, f"/experiments/{exp.id}/feeding")
    form = re.search(r'<form[^>]*hx-target="#feeding-queue"[^>]*>', html).group(0)
    assert 'hx-disinherit="*"' in form  # the plant links inside must navigate
    assert f'href="/p/{plants[0].uuid}' in html


def test_save_and_next_brings_the_next_plant_into_view(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _t, plants, _r = f.make_running_experiment(session)
    exp.started_at = utcnow() - timedelta(days=8)
    session.commit()
    page = _page(client, f"/experiments/{exp.id}/observe")
    assert "data-arrive" not in page  # only after a save
    resp = client.post(f"/experiments/{exp.id}/observe/1/{plants[0].uuid}",
                       data={"m_vigour": "4", "idempotency_key": _key(page)})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    heading = re.search(r"<h2[^>]*data-arrive[^>]*>.*?</h2>", body, re.S).group(0)
    assert plants[1].plant_code in heading and 'tabindex="-1"' in heading


def test_undo_toast_lasts_the_undo_minute(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    page = _page(client, f"/p/{plants[0].uuid}")
    body = client.post(f"/p/{plants[0].uuid}/feed", data={
        "status": "fed", "idempotency_key": _key(page)}).get_data(as_text=True)
    assert 'data-undo-seconds="60"' in body and "data-undo-left" in body


def test_cockpit_reflects_todays_skip_and_always_shows_last_feed(login_as, session):
    client = login_as("operator")
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    page = _page(client, f"/p/{plants[0].uuid}")
    client.post(f"/p/{plants[0].uuid}/feed", data={
        "status": "skipped", "reason": "soil still wet", "idempotency_key": _key(page)})
    html = _page(client, f"/p/{plants[0].uuid}")
    assert "Feed — never fed" not in html
    assert "Skipped today" in html and "soil still wet" in html
    assert "Operator" in re.search(r'id="last-fed".*?</p>', html, re.S).group(0)
    # fed 2 days ago with a 3-day window: not due, but the cockpit still says when and who
    other = plants[1]
    session.add(FeedingLog(plant_id=other.id, status="fed", fed_at=utcnow() - timedelta(days=2),
                           user_id=session.scalar(select(FeedingLog.user_id))))
    session.commit()
    html = _page(client, f"/p/{other.uuid}")
    last = re.search(r'id="last-fed".*?</p>', html, re.S).group(0)
    assert "Last fed" in last and " by " in last


def test_demo_cockpit_shows_its_history(login_as, session):
    from growapp.services.demo import seed_demo

    client = login_as("operator")
    _admin, exp, _created = seed_demo(session)
    session.commit()
    plant = session.scalar(select(Plant).where(Plant.experiment_id == exp.id)
                           .order_by(Plant.plant_code))
    html = _page(client, f"/p/{plant.uuid}")
    activity = re.search(r'id="plant-activity".*?</ul>', html, re.S).group(0)
    assert "Nothing logged yet" not in activity
    assert "Fed R" in activity and "Leaves" in activity and "leaf_count" not in activity


def test_activity_uses_metric_labels_and_who(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    client.post(f"/p/{plants[0].uuid}/measure", data={"week_number": "1", "m_vigour": "4"})
    summary = session.scalar(select(Event.summary).where(Event.kind == "plant.measured"))
    assert summary.startswith("Week 1: Vigour 4") and "vigour" not in summary
    html = _page(client, f"/p/{plants[0].uuid}")
    line = re.search(r"<li><span class=\"when\">[^<]*</span> Week 1: Vigour 4[^\n]*</li>", html)
    assert line and "Operator" in line.group(0)


def test_old_raw_activity_lines_read_in_words_and_local_time(login_as, session, app):
    """Lines stored before the template's words (raw keys, as in the issue) are worded
    from their payload when shown, in the installation's time zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    client = login_as("operator")
    exp, _t, plants, _r = f.make_running_experiment(session)
    at = datetime(2026, 11, 30, 7, 45, tzinfo=UTC)
    session.add(Event(experiment_id=exp.id, plant_id=plants[0].id, kind="plant.measured",
                      at=at, summary="Week 2: grade B; leaf_count 3, diameter_mm 65.0",
                      payload={"week_number": 2,
                               "values": {"diameter_mm": 65.0, "leaf_count": 3}}))
    session.commit()
    old_tz = app.config.get("TZINFO")
    app.config["TZINFO"] = ZoneInfo("Europe/Berlin")
    try:
        html = _page(client, f"/p/{plants[0].uuid}")
    finally:
        app.config["TZINFO"] = old_tz
    activity = re.search(r'id="plant-activity".*?</ul>', html, re.S).group(0)
    assert "Week 2: grade B; Leaves 3, Rosette / clump diameter 65 mm" in activity
    assert "leaf_count" not in activity and "diameter_mm" not in activity
    assert "08:45" in activity and "UTC" not in activity  # 07:45 UTC in Berlin


def test_viewers_see_no_write_controls_and_the_gate_still_refuses(login_as, session):
    client = login_as("viewer")
    exp, trays, plants, _r = f.make_running_experiment(session)
    session.commit()
    for url in (f"/p/{plants[0].uuid}", f"/t/{trays[0].uuid}",
                f"/experiments/{exp.id}/feeding", f"/experiments/{exp.id}/observe",
                f"/experiments/{exp.id}/rotation"):
        html = _page(client, url)
        assert 'hx-post="/p/' not in html and 'hx-post="/t/' not in html, url
        assert f'hx-post="/experiments/{exp.id}/' not in html, url
        assert "Fed</button>" not in html and "Feed tray" not in html, url
        assert "Feed whole tray" not in html and "Save and next" not in html, url
        assert "Skip this feed" not in html and "Move</button>" not in html, url
    assert client.post(f"/p/{plants[0].uuid}/feed", data={"status": "fed"}).status_code == 403


def test_rotation_disarms_after_a_move(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, trays, _p, _r = f.make_running_experiment(session)
    session.commit()
    page = _page(client, f"/experiments/{exp.id}/rotation?tray={trays[0].id}")
    assert "2. Tap where" in page
    free = re.search(r'name="to_slot_id" value="(\d+)"', page).group(1)
    resp = client.post(f"/experiments/{exp.id}/rotation", data={
        "tray": trays[0].id, "to_slot_id": free, "idempotency_key": _key(page)})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Moved." in body
    assert "2. Tap where" not in body and "1. Tap the tray" in body
    assert resp.headers["HX-Replace-Url"] == f"/experiments/{exp.id}/rotation"


def test_tray_move_says_when_no_slot_is_free_and_offers_a_swap(login_as, session):
    client = login_as("operator")
    exp, trays, _p, recipe = f.make_running_experiment(session)
    tent_slot = trays[0].slot_id
    other = [s for s in session.scalars(select(f.Slot)) if s.id != tent_slot
             and s.tent_id == session.get(f.Slot, tent_slot).tent_id]
    f.make_tray(session, exp, "TR9", slot=other[0], recipe=recipe)
    session.commit()
    html = _page(client, f"/t/{trays[0].uuid}")
    assert 'id="no-free-slot"' in html and "<select id=\"to-slot\"" not in html
    assert f"/experiments/{exp.id}/rotation?tray={trays[0].id}" in html


def test_queue_skip_with_reason_and_lot_choice(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, trays, plants, recipe = f.make_running_experiment(session, plants=3)
    old = Lot(experiment_id=exp.id, recipe_id=recipe.id, code="L-OLD",
              prepared_at=utcnow() - timedelta(days=9))
    new = Lot(experiment_id=exp.id, recipe_id=recipe.id, code="L-NEW", prepared_at=utcnow())
    session.add_all([old, new])
    session.commit()
    page = _page(client, f"/experiments/{exp.id}/feeding")
    select_html = re.search(r'<select id="feed-lot-\d+" name="lot_id">.*?</select>', page).group(0)
    assert select_html.index("L-NEW") < select_html.index("L-OLD")
    assert f'value="{new.id}" selected' in select_html
    assert "Skip this feed" in page
    skip = client.post(f"/experiments/{exp.id}/feeding/plants/{plants[0].uuid}", data={
        "status": "skipped", "reason": "soil still wet", "idempotency_key": "k-skip"})
    body = skip.get_data(as_text=True)
    assert skip.status_code == 200 and f'id="feed-{plants[0].uuid}"' not in body
    assert "Skipped VFT-001: soil still wet." in body
    no_reason = client.post(f"/experiments/{exp.id}/feeding/plants/{plants[1].uuid}", data={
        "status": "skipped", "idempotency_key": "k-skip-2"})
    assert no_reason.status_code == 422
    fed = client.post(f"/experiments/{exp.id}/feeding/plants", data={
        "plant_uuid": str(plants[1].uuid), "lot_id": old.id, "idempotency_key": "k-fed"})
    assert fed.status_code == 200
    tray = client.post(f"/experiments/{exp.id}/feeding/plants", data={
        "tray_id": trays[0].id, "lot_id": new.id, "idempotency_key": "k-tray",
        "confirm": "1"})
    assert tray.status_code == 200, tray.get_data(as_text=True)[:300]
    lots = {(p, lot) for p, lot in session.execute(
        select(FeedingLog.plant_id, FeedingLog.lot_id).where(FeedingLog.status == "fed"))}
    assert (plants[1].id, old.id) in lots and (plants[2].id, new.id) in lots


def test_start_updates_the_context_bar_out_of_band(hx_client, login_as, session):
    client = login_as("admin", client=hx_client)
    exp = f.make_ready_experiment(session)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/start",
                       headers={"HX-Current-URL": f"http://x/experiments/{exp.id}/overview"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    bar = re.search(r'<section class="context-bar" id="experiment-bar"[^>]*>.*?</section>',
                    body, re.S).group(0)
    assert 'hx-swap-oob="true"' in bar and "Running" in bar and "Draft" not in bar
    assert 'aria-current="page">Overview' in bar


def test_floor_pages_have_no_emoji_icons(login_as, session):
    client = login_as("operator")
    exp, trays, plants, _r = f.make_running_experiment(session)
    exp.started_at = utcnow() - timedelta(days=8)
    session.commit()
    for url in (f"/p/{plants[0].uuid}", f"/t/{trays[0].uuid}",
                f"/experiments/{exp.id}/feeding", f"/experiments/{exp.id}/observe", "/scan"):
        html = _page(client, url)
        assert not EMOJI.findall(html), (url, EMOJI.findall(html))
        assert '<svg class="icon' in html or url == "/scan", url


def test_cockpit_walks_to_the_next_and_previous_plant(login_as, session):
    client = login_as("operator")
    _exp, trays, plants, _r = f.make_running_experiment(session, plants=4, trays=2)
    session.commit()
    # trays alternate: TR1 holds VFT-001, VFT-003; TR2 holds VFT-002, VFT-004
    html = _page(client, f"/p/{plants[2].uuid}?from=/somewhere")
    walk = re.search(r'<nav class="plant-walk".*?</nav>', html, re.S).group(0)
    assert f"/p/{plants[0].uuid}?from=/somewhere" in walk and "2 of 2 in TR1" in walk
    assert f"/p/{plants[1].uuid}" in walk and "Next tray TR2" in walk
    last = _page(client, f"/p/{plants[3].uuid}")
    assert "Last plant" in last and "2 of 2 in TR2" in last


def test_measure_forms_show_last_weeks_value_and_steppers(login_as, session):
    client = login_as("operator")
    exp, _t, plants, _r = f.make_running_experiment(session)
    exp.started_at = utcnow() - timedelta(days=15)
    session.add(PlantMetric(plant_id=plants[0].id, week_number=1,
                            values={"vigour": 3, "leaf_count": 6}))
    session.commit()
    for url in (f"/p/{plants[0].uuid}", f"/experiments/{exp.id}/observe?week=2"):
        html = _page(client, url)
        assert "week 1: 3" in html, url  # the 1–5 score: last week beside the legend
        if 'data-previous="6"' in html:  # a number field in this species' template
            assert 'data-step="up"' in html and "Week 1: <strong>6</strong>" in html


def test_marks_off_the_floor_are_svg_icons_beside_words(login_as, session):
    """The roster's baseline tag, the setup checklist and both CSV import previews used a
    ✓ glyph (an empty box on a phone without the font): now an SVG icon beside a word."""
    client = login_as("operator")
    exp, _trays, _plants, _r = f.make_running_experiment(session)
    exp.started_at = utcnow() - timedelta(weeks=1, hours=1)
    draft, _t, _p = f.make_draft_to_place(session)
    pages = {
        "overview": _page(client, f"/experiments/{exp.id}/overview"),
        "setup": _page(client, f"/experiments/{draft.id}/setup"),
        "plant import": client.post(
            f"/experiments/{draft.id}/plants/import", headers={"HX-Request": "true"},
            data={"file": (io.BytesIO(b"species,grade\nVenus flytrap,A\n"), "p.csv")},
            content_type="multipart/form-data").get_data(as_text=True),
        "measurement import": client.post(
            f"/experiments/{exp.id}/measurements/import", headers={"HX-Request": "true"},
            data={"file": (io.BytesIO(b"plant_code,week,vigour\nVFT-001,1,3\n"), "m.csv")},
            content_type="multipart/form-data").get_data(as_text=True),
    }
    for name, html in pages.items():
        assert not EMOJI.findall(html), (name, EMOJI.findall(html))
    check = '<svg class="icon icon-check"'
    assert re.search(f'<span class="tag">{check}[^>]*>.*?</svg> baseline</span>',
                     pages["overview"], re.S)
    assert re.search(f'<span class="check-mark" aria-hidden="true">{check}', pages["setup"])
    assert "plants · done</span>" in pages["setup"]
    for name in ("plant import", "measurement import"):
        assert re.search(f"{check}.*?</svg> ready", pages[name], re.S), name


def test_no_template_or_page_code_spells_an_icon_as_a_glyph():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [*root.glob("templates/**/*.html"), *root.glob("growapp/web/**/*.py")]
    found = {p.relative_to(root).as_posix(): EMOJI.findall(p.read_text(encoding="utf-8"))
             for p in sources}
    assert {k: v for k, v in found.items() if v} == {}
