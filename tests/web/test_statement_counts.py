"""Pages are served with a fixed number of SQL statements whatever the data size."""

import pytest

from tests.helpers import factories as f
from tests.helpers.statements import count_statements


def _build(session, plants: int):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp, shelves=2, positions=5)
    recipes = [f.make_recipe(session, exp, f"R{i}") for i in range(4)]
    trays = [f.make_tray(session, exp, f"TR{i + 1}", capacity=max(plants // 10 + 1, 2),
                         slot=tent.slots[i], recipe=recipes[i % 4]) for i in range(10)]
    vft, dro = f.species(session), f.species(session, "Cape sundew")
    for i in range(plants):
        f.make_plant(session, exp, sp=vft if i % 2 else dro, grade="AB"[i % 2] if i % 3 else None,
                     baseline=i % 4 == 0, tray=trays[i % 10] if i % 5 else None)
    session.commit()
    return exp


PAGES = ["/experiments/{id}/overview", "/experiments/{id}/overview?filter=needs_baseline",
         "/experiments/{id}/overview?q=VFT", "/experiments/{id}/baseline",
         "/experiments/{id}/placement", "/experiments/{id}/trays", "/"]


@pytest.mark.parametrize("path", PAGES)
def test_statement_count_is_independent_of_plant_count(login_as, session, connection, path):
    client = login_as("viewer")
    counts = []
    for n in (10, 200):
        exp = _build(session, n)
        url = path.format(id=exp.id)
        client.get(url)  # warm caches (template compile, user loader)
        with count_statements(connection) as statements:
            resp = client.get(url)
        assert resp.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{path}: {counts}"
    assert counts[0] <= 25, f"{path}: {counts[0]} statements"
    print(f"{path}: {counts[0]} statements")


def test_cockpit_page_statements_do_not_grow_with_history(login_as, session, connection):
    """Issue 13: at most 12 statements, including the tent tile (issue 14), whatever the
    plant's history and the tent's readings — now 5: the sign-in lookup, the plant and
    one statement for every list (round trips are what PostgreSQL pays for); the tile
    shows readings, or says there are none."""
    from datetime import timedelta

    from growapp.models import Event, FeedingLog, utcnow
    from growapp.services.environment import alerts as alert_svc
    from growapp.services.environment.readings import ingest_readings

    client = login_as("operator")
    counts, bodies = [], []
    for history in (5, 500):
        _exp, trays, plants, _r = f.make_running_experiment(session, plants=1)
        for i in range(history):
            session.add(FeedingLog(plant_id=plants[0].id, status="fed",
                                   fed_at=utcnow() - timedelta(hours=i)))
            session.add(Event(plant_id=plants[0].id, kind="plant.noted", summary=f"n{i}"))
        tent_id = trays[0].slot.tent_id
        if history == 500:  # the tent has readings, a range and an open alert
            now = utcnow()
            for q, v in (("temperature", 31.5), ("humidity", 55.0), ("co2", 900.0)):
                ingest_readings(session, tent_id=tent_id, source="api", actor=None, now=now,
                                items=[{"quantity": q, "value": v - m / 100,
                                        "at": (now - timedelta(minutes=m)).isoformat()}
                                       for m in range(1, 200)])
            alert_svc.set_range(session, tent_id=tent_id, quantity="temperature", low=18,
                                high=28, for_minutes=5, actor=f.make_user(session))
            alert_svc.check_alerts(session, now=now)
        session.commit()
        client.get(f"/p/{plants[0].uuid}")
        with count_statements(connection) as statements:
            resp = client.get(f"/p/{plants[0].uuid}")
        assert resp.status_code == 200
        counts.append(len(statements))
        bodies.append((tent_id, resp.get_data(as_text=True)))
    # Fixed whatever the history ("Fix a mistake" loads on its own request when scrolled
    # to): the sign-in lookup, the plant (with its place, last feed, links, template),
    # and one UNION ALL for the activity, the measurements (trends reuse them), open
    # issues, lots, photos, next/previous plant and the tent tile. The test's SAVEPOINT
    # and its rollback are counted too.
    assert counts[0] == counts[1] <= 5, counts
    (tent_a, empty), (tent_b, full) = bodies
    assert 'id="tent-now"' in empty and "No readings from TN1 yet." in empty
    assert f"/tents/{tent_a}/environment" in empty
    tile = full[full.index('id="tent-now"'):]
    tile = tile[:tile.index("</section>")]
    assert f"/tents/{tent_b}/environment" in tile
    assert "<strong>31.5</strong> °C" in tile and "too high" in tile
    assert "<strong>55.0</strong> %" in tile and "<strong>900</strong> ppm" in tile
    assert "VPD" in tile and "Out of range" in tile
    assert "No readings" not in tile


def test_feeding_queue_statements_do_not_grow_with_plants(login_as, session, connection):
    client = login_as("operator")
    counts = []
    for n in (10, 200):
        exp, _t, _p, _r = f.make_running_experiment(session, plants=n, trays=5)
        session.commit()
        client.get(f"/experiments/{exp.id}/feeding")
        with count_statements(connection) as statements:
            assert client.get(f"/experiments/{exp.id}/feeding").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _story(session, plants, weeks: int, photos: int):
    from growapp.models import Photo, PlantMetric

    for p in plants:
        for week in range(1, weeks + 1):
            session.add(PlantMetric(plant_id=p.id, week_number=week,
                                    values={"leaf_count": 4 + week, "vigour": 3,
                                            "diameter_mm": 30.5 + week}))
        for i in range(photos):
            session.add(Photo(plant_id=p.id, file_path=f"x/{p.id}-{i}.jpg",
                              thumb_path=f"x/{p.id}-{i}-t.jpg", week_number=i % (weeks + 1)))


def test_cockpit_trends_and_timeline_statements_do_not_grow(login_as, session, connection):
    client = login_as("operator")
    counts = []
    for weeks, photos in ((2, 1), (40, 60)):
        _exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
        _story(session, plants, weeks, photos)
        session.commit()
        url = f"/p/{plants[0].uuid}"
        client.get(url)
        with count_statements(connection) as statements:
            resp = client.get(url)
        assert resp.status_code == 200 and 'id="plant-trends"' in resp.get_data(as_text=True)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 5, counts  # the photos ride in the cockpit's lists


def test_tray_page_statements_do_not_grow_with_plants_or_history(login_as, session,
                                                                  connection):
    client = login_as("operator")
    counts = []
    for n, weeks, photos in ((2, 1, 1), (30, 30, 3)):
        _exp, trays, plants, _r = f.make_running_experiment(session, plants=n)
        _story(session, plants, weeks, photos)
        session.commit()
        url = f"/t/{trays[0].uuid}"
        client.get(url)
        with count_statements(connection) as statements:
            resp = client.get(url)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert 'id="tray-trends"' in body and 'id="tray-photos"' in body
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 17, counts  # 13 + 3 for history.py + 1 for the lots


@pytest.mark.parametrize("page", ["baseline", "observe"])
def test_baseline_and_weekly_round_walk_the_plants_once(login_as, session, connection, page):
    """Issue 13: the progress is the one count over the trial's plants on these pages (the
    context bar asks only whether setup is done, by EXISTS probes, not the status summary's
    eleven counts), and a later page of "Still to do" counts nothing. The Setup link still
    shows while setup is incomplete."""
    client = login_as("operator")
    if page == "baseline":
        exp = _build(session, 50)
        url, later = f"/experiments/{exp.id}/baseline", f"/experiments/{exp.id}/baseline/queue"
    else:
        exp, _t, _p, _r = f.make_running_experiment(session, plants=50, trays=5)
        session.commit()
        url, later = f"/experiments/{exp.id}/observe?week=1", None
    setup_link = f'href="/experiments/{exp.id}/setup"'
    client.get(url)
    with count_statements(connection) as statements:
        body = client.get(url).get_data(as_text=True)
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1, counts
    assert "<strong>" in body and " / 50</strong> done" in body
    assert setup_link not in body
    if later:
        with count_statements(connection) as statements:
            assert client.get(f"{later}?at=5").status_code == 200
        assert not [s for s in statements if "count(" in s.lower()]
    from growapp.models import Recipe, Tray

    session.query(Tray).filter_by(experiment_id=exp.id).update({"recipe_id": None})
    session.query(Recipe).filter_by(experiment_id=exp.id).delete()
    session.commit()
    assert setup_link in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/experiments/{id}/placement", "/experiments/{id}/labels",
                                  "/experiments/{id}/schedule", "/experiments/{id}/reports",
                                  "/experiments/{id}/feeding/scan",
                                  "/experiments/{id}/measurements/import"])
def test_pages_that_only_show_the_context_bar_skip_the_status_summary(login_as, session,
                                                                      connection, path):
    """Their context bar asks only whether setup is done (setup_status: EXISTS probes),
    not for the status summary's counts over every plant; the Setup link still shows while
    setup is incomplete."""
    from growapp.models import Recipe, Tray

    client = login_as("admin")
    exp, _t, _p, _r = f.make_running_experiment(session, plants=5, trays=2)
    session.commit()
    url, setup_link = path.format(id=exp.id), f'href="/experiments/{exp.id}/setup"'
    client.get(url)
    with count_statements(connection) as statements:
        resp = client.get(url)
    assert resp.status_code == 200, url
    summary = [s for s in statements if "AS count_1 FROM plants WHERE plants.experiment_id = "
               "experiments.id" in " ".join(s.split())]
    assert not summary, url
    assert setup_link not in resp.get_data(as_text=True)
    session.query(Tray).filter_by(experiment_id=exp.id).update({"recipe_id": None})
    session.query(Recipe).filter_by(experiment_id=exp.id).delete()
    session.commit()
    assert setup_link in client.get(url).get_data(as_text=True)
