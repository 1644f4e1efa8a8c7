"""The trial lead's desk pages (issue 11): setup checklist with trays, bulk trays, archive
and duplicate, the start confirmation and blockers, template field editor, hints."""

from sqlalchemy import func, select

from growapp.models import Tray
from tests.helpers import factories as f


def _exp(session, **kw):
    exp = f.make_experiment(session, **kw)
    session.commit()
    return exp


def test_setup_lists_trays_and_is_not_complete_without_them(login_as, session):
    client = login_as("viewer")
    exp = f.make_experiment(session)
    f.make_tent(session, exp)
    f.make_recipe(session, exp)
    f.make_plant(session, exp)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/setup").get_data(as_text=True)
    assert 'id="setup-trays"' in html and f"/experiments/{exp.id}/trays" in html
    assert "Setup complete" not in html
    assert client.get(f"/experiments/{exp.id}").headers["Location"].endswith("/setup")
    f.make_tray(session, exp)
    session.commit()
    assert "Setup complete" in client.get(f"/experiments/{exp.id}/setup").get_data(as_text=True)
    assert client.get(f"/experiments/{exp.id}").headers["Location"].endswith("/overview")


def test_bulk_trays_fragment_and_422(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    f.make_tray(session, exp, "TR1")
    session.commit()
    page = client.get(f"/experiments/{exp.id}/trays", headers={"HX-Request": "false"})
    assert b'id="tray-bulk-form"' in page.data and b"TR2, TR3" in page.data
    resp = client.post(f"/experiments/{exp.id}/trays/bulk",
                       data={"count": "3", "capacity": "5", "recipe_id": ""})
    assert resp.status_code == 201 and b"<html" not in resp.data
    assert b"Added 3 trays: TR2\xe2\x80\x93TR4" in resp.data
    assert b'id="setup-progress"' in resp.data and b'hx-swap-oob="true"' in resp.data
    bad = client.post(f"/experiments/{exp.id}/trays/bulk",
                      data={"count": "0", "capacity": "5", "recipe_id": ""})
    assert bad.status_code == 422 and b'id="trays-panel"' in bad.data
    assert b"<html" not in bad.data
    assert session.scalar(select(func.count(Tray.id)).where(Tray.experiment_id == exp.id)) == 4


def test_bulk_trays_plain_post_redirects(login_as, session):
    client = login_as("operator")
    exp = _exp(session)
    resp = client.post(f"/experiments/{exp.id}/trays/bulk",
                       data={"count": "2", "capacity": "6", "recipe_id": ""})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/{exp.id}/trays")


def test_bulk_trays_409_while_running(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, *_ = f.make_running_experiment(session)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/trays/bulk",
                       data={"count": "2", "capacity": "6", "recipe_id": ""})
    assert resp.status_code == 409 and b"cannot change while" in resp.data
