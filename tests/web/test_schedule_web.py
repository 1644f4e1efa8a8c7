"""The schedule page: full page and fragments, create (HTMX and plain), 422, Done / Skip…,
pause / resume / delete, and a fixed statement count."""

from datetime import timedelta

from sqlalchemy import func, select

from growapp.models import ScheduleAction, TaskCompletion, utcnow
from growapp.services import schedules as svc
from tests.helpers import factories as f
from tests.helpers.statements import count_statements


def _world(session, status="running"):
    exp = f.make_experiment(session, status=status)
    tent = f.make_tent(session, exp, positions=2)
    recipe = f.make_recipe(session, exp, "R1")
    tray = f.make_tray(session, exp, "TR1", slot=tent.slots[0], recipe=recipe)
    bare = f.make_tray(session, exp, "TR2", slot=tent.slots[1])
    plants = [f.make_plant(session, exp, code=f"VFT-00{i}", tray=tray) for i in (1, 2)]
    plants.append(f.make_plant(session, exp, code="VFT-003", tray=bare))
    session.commit()
    return exp, tent, [tray, bare], plants


def _schedule(session, exp, trays, **kw):
    args = {"experiment_id": exp.id, "actor": f.make_user(session), "action_type": "feed",
            "title": "Feed trays", "timeframe": "morning",
            "rule": {"kind": "interval", "every_days": 1},
            "start_date": utcnow().date() - timedelta(days=2),
            "scope": {"type": "tray", "ids": [t.id for t in trays]}}
    args.update(kw)
    action = svc.create_schedule(session, **args)
    session.commit()
    return action


def _form(tray_ids, **kw):
    data = {"action_type": "water", "title": "Mist", "rule_kind": "weekly",
            "weekdays": ["0", "3"], "timeframe": "evening",
            "start_date": utcnow().date().isoformat(), "scope_type": "tray",
            "scope_tray_ids": [str(i) for i in tray_ids]}
    data.update(kw)
    return data


def test_full_page_shows_plan_rules_and_form(login_as, session):
    client = login_as("operator")
    exp, _, trays, _ = _world(session)
    _schedule(session, exp, trays)
    resp = client.get(f"/experiments/{exp.id}/schedule")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" in html and "HX-Request" in resp.headers["Vary"]
    assert 'id="schedule-plan"' in html and 'id="schedule-list"' in html
    assert 'id="schedule-form"' in html and "Feed trays" in html
    assert "Overdue" in html and "Today" in html and "Needs tray recipe" in html
    assert ">Done</button>" in html and "Skip…" in html
    assert "style=" not in html and "<script>" not in html
    assert 'type="checkbox" name="weekdays" value="0"' in html


def test_viewer_sees_the_plan_without_buttons(login_as, session):
    client = login_as("viewer")
    exp, _, trays, _ = _world(session)
    _schedule(session, exp, trays)
    html = client.get(f"/experiments/{exp.id}/schedule").get_data(as_text=True)
    assert "Feed trays" in html and ">Done</button>" not in html
    assert 'id="schedule-form"' not in html


def test_htmx_get_returns_the_panel_fragment(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _, _, _ = _world(session)
    resp = client.get(f"/experiments/{exp.id}/schedule")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="schedule-panel">')


def test_create_with_htmx_returns_the_panel(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _, trays, _ = _world(session)
    resp = client.post(f"/experiments/{exp.id}/schedule", data=_form([trays[0].id]))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 201 and "<html" not in body
    assert 'id="schedule-panel"' in body and "Scheduled Mist." in body
    action = session.scalar(select(ScheduleAction).where(ScheduleAction.experiment_id == exp.id))
    assert action.timeframe == "evening" and action.rule.weekdays == [0, 3]


def test_create_422_fragment_keeps_input_and_shows_field_messages(login_as, hx_client,
                                                                   session):
    client = login_as("operator", client=hx_client)
    exp, _, trays, _ = _world(session)
    today = utcnow().date()
    resp = client.post(f"/experiments/{exp.id}/schedule", data=_form(
        [], weekdays=[], title="Keep me", end_date=(today - timedelta(days=1)).isoformat()))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<html" not in body
    assert "Choose at least one day" in body and "before the start date" in body
    assert "Choose at least one tray" in body and 'value="Keep me"' in body
    assert session.scalar(select(func.count(ScheduleAction.id)).where(
        ScheduleAction.experiment_id == exp.id)) == 0


def test_create_exact_time_every_n_days_for_plants(login_as, session):
    client = login_as("operator")
    exp, _, _, plants = _world(session)
    resp = client.post(f"/experiments/{exp.id}/schedule", data=_form(
        [], rule_kind="interval", weekdays=[], every_days="3", timeframe="exact",
        exact_time="07:30", scope_type="plant",
        scope_plant_ids=[str(plants[0].id), str(plants[2].id)]))
    assert resp.status_code == 303
    [summary] = svc.schedule_summaries(session, svc.list_schedules(session, exp.id))
    assert summary["exact_time"] == "07:30" and summary["rule"]["every_days"] == 3
    assert summary["scope"]["codes"] == ["VFT-001", "VFT-003"]


def test_create_without_js_redirects_303_with_flash(login_as, session):
    client = login_as("operator")
    exp, _, trays, _ = _world(session)
    resp = client.post(f"/experiments/{exp.id}/schedule", data=_form([trays[0].id]))
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/experiments/{exp.id}/schedule")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Scheduled Mist." in page


def test_create_422_without_js_renders_the_full_page(login_as, session):
    client = login_as("operator")
    exp, _, trays, _ = _world(session)
    resp = client.post(f"/experiments/{exp.id}/schedule",
                       data=_form([trays[0].id], timeframe="exact", exact_time=""))
    assert resp.status_code == 422 and b"<html" in resp.data
    assert b"or an exact time" in resp.data


def test_done_and_skip_with_htmx_return_the_plan(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _, trays, _ = _world(session)
    action = _schedule(session, exp, trays[:1])
    today = utcnow().date().isoformat()
    url = f"/experiments/{exp.id}/schedule/{action.id}/occurrences"
    resp = client.post(url, data={"date": today, "status": "done"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="schedule-plan"') and "Done: Feed trays" in body
    # skipping needs a reason: 422 fragment with the inline form open and the message
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    resp = client.post(url, data={"date": yesterday, "status": "skipped", "reason": ""})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<html" not in body and "Say why it was skipped" in body
    assert '<details class="occurrence-skip" open>' in body
    resp = client.post(url, data={"date": yesterday, "status": "skipped", "reason": "Too wet"})
    assert resp.status_code == 200
    rows = {r.occurrence_date.isoformat(): (r.status, r.reason)
            for r in session.scalars(select(TaskCompletion).where(
                TaskCompletion.action_id == action.id))}
    assert rows == {today: ("done", ""), yesterday: ("skipped", "Too wet")}


def test_done_without_js_redirects_303(login_as, session):
    client = login_as("operator")
    exp, _, trays, _ = _world(session)
    action = _schedule(session, exp, trays[:1])
    resp = client.post(f"/experiments/{exp.id}/schedule/{action.id}/occurrences",
                       data={"date": utcnow().date().isoformat(), "status": "done"})
    assert resp.status_code == 303 and "#schedule-plan" in resp.headers["Location"]


def test_mark_on_a_day_without_occurrence_is_422(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _, trays, _ = _world(session)
    action = _schedule(session, exp, trays[:1])
    before = (action.rule.start_date - timedelta(days=1)).isoformat()
    resp = client.post(f"/experiments/{exp.id}/schedule/{action.id}/occurrences",
                       data={"date": before, "status": "done"})
    assert resp.status_code == 422 and b"<html" not in resp.data


def test_pause_resume_delete(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _, trays, _ = _world(session)
    action = _schedule(session, exp, trays[:1])
    base = f"/experiments/{exp.id}/schedule/{action.id}"
    body = client.post(f"{base}/pause").get_data(as_text=True)
    assert "Paused Feed trays." in body and "chip-paused" in body and ">Resume</button>" in body
    session.refresh(action)
    assert action.is_active is False
    assert "Resumed Feed trays." in client.post(f"{base}/resume").get_data(as_text=True)
    body = client.post(f"{base}/delete").get_data(as_text=True)
    assert "Deleted Feed trays." in body and "No schedules yet." in body
    assert client.post(f"{base}/delete").status_code == 404


def test_schedule_of_another_experiment_is_404(login_as, session):
    client = login_as("operator")
    exp, _, trays, _ = _world(session)
    other = f.make_experiment(session)
    session.commit()
    action = _schedule(session, exp, trays[:1])
    resp = client.post(f"/experiments/{other.id}/schedule/{action.id}/pause")
    assert resp.status_code == 404


def test_page_statement_count_is_fixed(login_as, session, connection):
    client = login_as("viewer")
    counts = []
    for n in (2, 12):
        exp, _, trays, _ = _world(session)
        for i in range(n):
            _schedule(session, exp, trays, title=f"S{i}",
                      action_type=("feed", "rotate", "water", "observe", "photo", "custom")[i % 6],
                      timeframe=None if i % 3 else "evening",
                      exact_time=f"{7 + i % 10:02d}:15" if i % 3 else None)
        url = f"/experiments/{exp.id}/schedule"
        client.get(url)
        with count_statements(connection) as statements:
            resp = client.get(url)
        assert resp.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
