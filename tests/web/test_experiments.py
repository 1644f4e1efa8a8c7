from sqlalchemy import select

from growapp.models import Experiment
from tests.helpers import factories as f


def test_list_shows_status_and_readiness(login_as, session):
    client = login_as("viewer")
    ready = f.make_ready_experiment(session)
    empty = f.make_experiment(session, name="Empty one")
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert ready.name in html and "Ready" in html
    assert "Empty one" in html and "Setup incomplete" in html
    assert f'id="experiment-{empty.id}"' in html


def test_list_filter_fragment(hx_client, login_as, session):
    client = login_as("viewer", client=hx_client)
    f.make_experiment(session, name="Draft A")
    f.make_experiment(session, name="Running B", status="running")
    session.commit()
    resp = client.get("/?status=running")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body
    assert 'id="experiment-list"' in body and "Running B" in body and "Draft A" not in body


def test_boosted_requests_get_full_pages(login_as):
    client = login_as("viewer")
    resp = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<html" in resp.data


def test_create_experiment(login_as, session):
    client = login_as("operator")
    assert client.get("/experiments/new").status_code == 200
    resp = client.post("/experiments/new", data={"name": "Sundew light trial",
                                                  "feeding_window_days": "5"})
    assert resp.status_code == 303
    exp = session.scalar(select(Experiment).where(Experiment.name == "Sundew light trial"))
    assert resp.headers["Location"] == f"/experiments/{exp.id}"
    assert exp.feeding_window_days == 5 and exp.created_by_id == client.user.id


def test_create_experiment_validation(login_as, session):
    client = login_as("operator")
    before = session.scalar(select(Experiment.id).order_by(Experiment.id.desc()).limit(1))
    resp = client.post("/experiments/new", data={"name": "", "feeding_window_days": "0"})
    assert resp.status_code == 422
    assert b"This field is required" in resp.data and b"between 1 and 60" in resp.data
    assert session.scalar(select(Experiment.id).order_by(Experiment.id.desc()).limit(1)) == before


def test_entry_route_redirects(login_as, session):
    client = login_as("viewer")
    draft = f.make_experiment(session)
    ready = f.make_ready_experiment(session)
    session.commit()
    assert client.get(f"/experiments/{draft.id}").headers["Location"].endswith("/setup")
    assert client.get(f"/experiments/{ready.id}").headers["Location"].endswith("/overview")
    setup = client.get(f"/experiments/{draft.id}/setup").get_data(as_text=True)
    assert 'id="setup-checklist"' in setup


def test_start_refused_fragment_lists_readiness(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp = f.make_ready_experiment(session)
    f.make_plant(session, exp, grade=None, baseline=True)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/start")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "<html" not in body
    assert 'id="experiment-status"' in body
    assert "1 plant needs a grade" in body and "1 plant needs placing in a tray" in body
    assert session.get(Experiment, exp.id).status == "draft"


def test_start_and_stop(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp = f.make_ready_experiment(session)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/start")
    assert resp.status_code == 200 and f"{exp.name} is running.".encode() in resp.data
    session.refresh(exp)
    assert exp.status == "running"
    resp = client.post(f"/experiments/{exp.id}/stop")
    assert resp.status_code == 200 and f"{exp.name} is stopped.".encode() in resp.data


def test_start_without_js_redirects_or_renders_409(login_as, session):
    client = login_as("operator")
    ready = f.make_ready_experiment(session)
    not_ready = f.make_experiment(session)
    session.commit()
    assert client.post(f"/experiments/{ready.id}/start").status_code == 303
    page = client.post(f"/experiments/{not_ready.id}/start")
    assert page.status_code == 409 and b"<html" in page.data and b"cannot start yet" in page.data
