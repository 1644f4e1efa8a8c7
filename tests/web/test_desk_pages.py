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
                       data={"bulk-count": "3", "bulk-capacity": "5", "bulk-recipe_id": ""})
    assert resp.status_code == 201 and b"<html" not in resp.data
    assert b"Added 3 trays: TR2\xe2\x80\x93TR4" in resp.data
    assert b'id="setup-progress"' in resp.data and b'hx-swap-oob="true"' in resp.data
    bad = client.post(f"/experiments/{exp.id}/trays/bulk",
                      data={"bulk-count": "0", "bulk-capacity": "5", "bulk-recipe_id": ""})
    assert bad.status_code == 422 and b'id="trays-panel"' in bad.data
    assert b"<html" not in bad.data
    assert session.scalar(select(func.count(Tray.id)).where(Tray.experiment_id == exp.id)) == 4


def test_bulk_trays_plain_post_redirects(login_as, session):
    client = login_as("operator")
    exp = _exp(session)
    resp = client.post(f"/experiments/{exp.id}/trays/bulk",
                       data={"bulk-count": "2", "bulk-capacity": "6", "bulk-recipe_id": ""})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/{exp.id}/trays")


def test_bulk_trays_409_while_running(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, *_ = f.make_running_experiment(session)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/trays/bulk",
                       data={"bulk-count": "2", "bulk-capacity": "6", "bulk-recipe_id": ""})
    assert resp.status_code == 409 and b"cannot change while" in resp.data


def test_start_asks_first_and_lists_what_freezes(login_as, session):
    client = login_as("operator")
    exp = f.make_ready_experiment(session)
    session.commit()
    html = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    panel = html.split('id="start-confirm"')[1].split("</details>")[0]
    assert "Start experiment…" in panel and f"Yes, start {exp.name}" in panel
    assert "Starting freezes" in panel and "Plant codes" in panel and "Recipes" in panel
    assert "Not ready yet" not in panel


def test_refused_start_links_each_blocker(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp = f.make_experiment(session)
    f.make_tent(session, exp)
    f.make_plant(session, exp, grade=None)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/start")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "<html" not in body
    blockers = body.split('id="start-blockers"')[1].split("</ul>")[0]
    for key, path in (("setup_recipes", "/recipes"), ("setup_trays", "/trays"),
                      ("needs_baseline", "/baseline"), ("needs_grade", "/baseline"),
                      ("needs_placement", "/placement")):
        assert f'href="/experiments/{exp.id}{path}" data-blocker="{key}"' in blockers
    assert "No trays yet" in blockers and "1 plant needs a grade" in blockers


def test_not_ready_panel_links_blockers_before_trying(login_as, session):
    client = login_as("operator")
    exp = f.make_ready_experiment(session)
    f.make_plant(session, exp, grade="A", baseline=True)  # unplaced
    session.commit()
    html = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    panel = html.split('id="start-confirm"')[1].split("</details>")[0]
    assert "Not ready yet" in panel
    assert f'href="/experiments/{exp.id}/placement" data-blocker="needs_placement"' in panel


def test_baseline_vigour_is_tap_targets_not_a_number(login_as, session):
    client = login_as("operator")
    exp, _trays, plants = f.make_draft_to_place(session, plants=1)
    html = client.get(f"/experiments/{exp.id}/baseline").get_data(as_text=True)
    vigour = html.split('id="metric-vigour"')[1].split("</fieldset>")[0]
    assert 'class="choice-row score-row"' in vigour
    assert [f'name="m_vigour" value="{n}"' in vigour for n in range(1, 6)] == [True] * 5
    assert 'type="number" name="m_vigour"' not in html
    assert 'type="number" name="m_leaf_count"' in html  # counts are still typed


def test_score_keeps_the_tapped_value_after_a_422(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, plants = f.make_draft_to_place(session, plants=1)
    bad = client.post(f"/experiments/{exp.id}/baseline/{plants[0].uuid}",
                      data={"m_leaf_count": "-1", "m_vigour": "4", "grade": "A"})
    assert bad.status_code == 422
    assert 'name="m_vigour" value="4" checked' in bad.get_data(as_text=True)


def test_observe_and_cockpit_render_scores_as_segments(login_as, session):
    client = login_as("operator")
    from datetime import timedelta

    exp, _trays, plants, _r = f.make_running_experiment(session, plants=1)
    exp.started_at -= timedelta(days=8)  # week 1 measurement is due
    session.commit()
    observe = client.get(f"/experiments/{exp.id}/observe").get_data(as_text=True)
    assert 'score-row' in observe and 'name="m_vigour" value="5"' in observe
    cockpit = client.get(f"/p/{plants[0].uuid}").get_data(as_text=True)
    assert 'score-row' in cockpit and 'type="number" name="m_vigour"' not in cockpit


def test_bulk_grading_fragment_and_all_button(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, plants = f.make_draft_to_place(session, plants=3)
    page = client.get(f"/experiments/{exp.id}/baseline", headers={"HX-Request": "false"})
    assert b'id="baseline-grades"' in page.data
    resp = client.post(f"/experiments/{exp.id}/baseline/grades", data={
        "plant": [str(p.uuid) for p in plants], f"grade-{plants[0].uuid}": "B"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body and "Graded 1 plant." in body
    session.expire_all()
    assert [p.grade for p in plants] == ["B", None, None]
    resp = client.post(f"/experiments/{exp.id}/baseline/grades", data={
        "plant": [str(p.uuid) for p in plants[1:]], "all": "A"})
    assert b"Graded 2 plants." in resp.data
    session.expire_all()
    assert [p.grade for p in plants] == ["B", "A", "A"]
    assert b'id="baseline-grades"' not in resp.data  # nobody left to grade


def test_bulk_grading_422_fragment(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _trays, plants = f.make_draft_to_place(session, plants=1)
    none = client.post(f"/experiments/{exp.id}/baseline/grades",
                       data={"plant": [str(plants[0].uuid)]})
    assert none.status_code == 422 and b"Choose a grade for at least one plant" in none.data
    bad = client.post(f"/experiments/{exp.id}/baseline/grades",
                      data={f"grade-{plants[0].uuid}": "Z"})
    assert bad.status_code == 422 and b"<html" not in bad.data


def test_archive_and_bring_back_from_the_pages(login_as, session):
    client = login_as("operator")
    exp = f.make_ready_experiment(session)
    exp.name = "Old trial 2025"
    session.commit()
    overview = client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    assert 'id="experiment-manage"' in overview and ">Archive<" in overview
    assert ">Delete<" not in overview  # operators archive, admins delete
    resp = client.post(f"/experiments/{exp.id}/archive")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/")
    assert "Archived Old trial 2025" in client.get("/").get_data(as_text=True)  # the flash
    assert "Old trial 2025" not in client.get("/").get_data(as_text=True)
    archived = client.get("/?archived=1").get_data(as_text=True)
    assert "Old trial 2025" in archived and "Archived" in archived
    assert "Bring back" in client.get(f"/experiments/{exp.id}/overview").get_data(as_text=True)
    client.post(f"/experiments/{exp.id}/unarchive")
    assert "Old trial 2025" in client.get("/").get_data(as_text=True)


def test_archive_running_is_409_in_place(login_as, session):
    client = login_as("operator")
    exp, *_ = f.make_running_experiment(session)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/archive")
    assert resp.status_code == 409 and b"stop it before archiving" in resp.data


def test_duplicate_from_the_overview(login_as, session):
    client = login_as("operator")
    exp = f.make_ready_experiment(session)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/duplicate",
                       data={"name": "Second run", "include_plants": "y"})
    assert resp.status_code == 303
    new_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    assert new_id != exp.id
    assert client.get(f"/experiments/{new_id}").headers["Location"].endswith("/overview")
    too_long = client.post(f"/experiments/{exp.id}/duplicate", data={"name": "x" * 500})
    assert too_long.status_code == 422 and b'id="duplicate"' in too_long.data


def test_admin_deletes_from_the_page_operator_cannot(login_as, session):
    exp = f.make_experiment(session, name="Mistake")
    session.commit()
    operator = login_as("operator")
    assert operator.post(f"/experiments/{exp.id}/delete").status_code == 403
    admin = login_as("admin")
    assert b">Delete<" in admin.get(f"/experiments/{exp.id}/setup").data
    resp = admin.post(f"/experiments/{exp.id}/delete")
    assert resp.status_code == 303
    assert admin.get(f"/experiments/{exp.id}/setup").status_code == 404


def test_recipe_form_suggests_a_distinct_colour(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    first = client.get(f"/experiments/{exp.id}/recipes", headers={"HX-Request": "false"})
    assert b'<option selected value="grey">' in first.data
    resp = client.post(f"/experiments/{exp.id}/recipes",
                       data={"code": "R0", "name": "Water", "colour": "grey"})
    assert resp.status_code == 200
    add_form = resp.get_data(as_text=True).split('id="recipe-form"')[-1]
    assert '<option selected value="blue">' in add_form


def test_plant_code_hint_follows_the_species(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    dro = f.species(session, "Cape sundew")
    f.make_plant(session, exp, code="DRO-007", sp=dro)
    session.commit()
    page = client.get(f"/experiments/{exp.id}/plants", headers={"HX-Request": "false"})
    html = page.get_data(as_text=True)
    assert f'hx-get="/experiments/{exp.id}/plants/code-hint"' in html
    assert 'hx-target="#plant_code-msg"' in html and "<script" not in html.split("<body")[1]
    hint = client.get(f"/experiments/{exp.id}/plants/code-hint?species_id={dro.id}")
    assert hint.status_code == 200 and b"<html" not in hint.data
    assert b"DRO-008, DRO-009" in hint.data
    vft = client.get(f"/experiments/{exp.id}/plants/code-hint?species_id={f.species(session).id}")
    assert b"VFT-001, VFT-002" in vft.data
    custom = client.get(f"/experiments/{exp.id}/plants/code-hint?species_id=new"
                        "&custom_category=butterwort")
    assert b"PIN-001, PIN-002" in custom.data
    junk = client.get(f"/experiments/{exp.id}/plants/code-hint?species_id=99999999")
    assert junk.status_code == 200 and b"e.g. VFT-001" in junk.data


def _template(session, category):
    from growapp.services.species import template_for

    session.expire_all()
    return template_for(session, category).fields


def test_template_editor_shows_a_form_per_field(login_as, session):
    client = login_as("admin")
    html = client.get("/admin/species").get_data(as_text=True)
    flytrap = html.split('id="template-flytrap"')[1].split("</details>")[0]
    assert "<textarea" not in flytrap
    assert 'name="f-0-key" value="leaf_count"' in flytrap
    vigour = flytrap.split('value="vigour"')[1].split("</li>")[0]
    assert '<option value="score" selected>' in vigour
    assert "Add a field" in flytrap and 'name="move"' in flytrap


def test_template_editor_adds_removes_reorders_and_scores(login_as, session):
    client = login_as("admin")
    resp = client.post("/admin/templates", data={
        "category": "bladderwort", "code_prefix": "UTR",
        "f-0-key": "leaf_count", "f-0-label": "Leaves", "f-0-type": "int", "f-0-min": "0",
        "f-0-max": "500",
        "f-1-key": "height_mm", "f-1-label": "Height", "f-1-type": "float", "f-1-unit": "mm",
        "f-1-min": "0", "f-1-max": "2.5e3", "f-1-remove": "1",
        "f-2-key": "vigour", "f-2-label": "Vigour", "f-2-type": "score", "f-2-required": "1",
        "f-3-key": "colour", "f-3-label": "Colour", "f-3-type": "choice",
        "f-3-choices": "green, red ,",
        "f-4-key": "", "f-4-label": "", "f-4-type": "int"})  # the blank row
    assert resp.status_code == 303
    fields = _template(session, "bladderwort")
    assert [fl["key"] for fl in fields] == ["leaf_count", "vigour", "colour"]
    vigour = fields[1]
    assert (vigour["type"], vigour["min"], vigour["max"], vigour["required"]) == \
        ("int", 1, 5, True)
    assert fields[2]["choices"] == ["green", "red"] and fields[0]["max"] == 500
    moved = client.post("/admin/templates", data={
        "category": "bladderwort", "move": "2-up",
        "f-0-key": "leaf_count", "f-0-label": "Leaves", "f-0-type": "int",
        "f-1-key": "vigour", "f-1-label": "Vigour", "f-1-type": "score",
        "f-2-key": "colour", "f-2-label": "Colour", "f-2-type": "choice", "f-2-choices": "a"})
    assert moved.status_code == 303
    assert [fl["key"] for fl in _template(session, "bladderwort")] == [
        "leaf_count", "colour", "vigour"]


def test_template_editor_422_keeps_what_was_typed(login_as, session):
    client = login_as("admin")
    before = _template(session, "sundew")
    resp = client.post("/admin/templates", data={
        "category": "sundew", "f-0-key": "Bad Key", "f-0-label": "Leaves", "f-0-type": "int",
        "f-0-min": "9", "f-0-max": "1", "f-1-key": "x", "f-1-label": "X", "f-1-type": "int",
        "f-1-min": "lots"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "key must be lower_snake_case" in html and "min is above max" in html
    assert "min and max must be numbers" in html
    assert 'value="Bad Key"' in html and 'id="template-sundew" open' in html
    assert _template(session, "sundew") == before


def test_template_editor_is_admin_only(login_as):
    client = login_as("operator")
    assert client.post("/admin/templates", data={"category": "sundew"}).status_code == 403
