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
    from datetime import timedelta

    from growapp.models import Event, FeedingLog, utcnow

    client = login_as("operator")
    counts = []
    for history in (5, 500):
        _exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
        for i in range(history):
            session.add(FeedingLog(plant_id=plants[0].id, status="fed",
                                   fed_at=utcnow() - timedelta(hours=i)))
            session.add(Event(plant_id=plants[0].id, kind="plant.noted", summary=f"n{i}"))
        session.commit()
        client.get(f"/p/{plants[0].uuid}")
        with count_statements(connection) as statements:
            assert client.get(f"/p/{plants[0].uuid}").status_code == 200
        counts.append(len(statements))
    # Fixed whatever the history ("Fix a mistake" loads on its own request when scrolled
    # to; trends and the photo timeline are 3 fixed queries, next/previous plant 1).
    # Issue 13 asks for ≤ 12: one statement still to claw back.
    assert counts[0] == counts[1] <= 13, counts


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
    assert counts[0] == counts[1] <= 14, counts


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
