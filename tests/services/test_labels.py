"""Labels: templates, selection and validation, the QR base-URL rule, printing now, and
the PDFs themselves — every QR code on every built-in template is decoded from the
rasterised PDF and must carry the URL of the plant whose code is printed in its cell."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from growapp.labels import is_local_host, qr_base_url, sheet
from growapp.labels.fitting import LabelContent, cell_boxes, layout_label, width_mm
from growapp.labels.pdf import can_render_in_parallel, render_pdf
from growapp.labels.qr import qr_matrix, qr_shapes
from growapp.labels.sheet import page_html, place
from growapp.labels.templates import BUILTIN_BY_SLUG, BUILTIN_TEMPLATES, geometry_errors
from growapp.models import Event, LabelTemplate, Plant
from growapp.services.errors import Conflict, Forbidden, Invalid, NotFound
from growapp.services.labels import printing, selection, sheet_templates
from tests.helpers import factories as f
from tests.helpers.pdf_scan import (
    assert_qr_matches_code,
    char_boxes_outside_cells,
    scan_pdf,
    squash,
)

BASE = "https://growapp.example.org"
LONG_CODE = "VFT-" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # 40 characters, the maximum
LONG_SPECIES = "Sarracenia × " + "leucophylla 'Tarnok' " * 6  # > 120 characters


# Fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def builtins(session):
    sheet_templates.ensure_label_templates(session)
    return session


@pytest.fixture
def trial(session, builtins):
    """Running: 2 trays (TR1, TR2), 6 plants VFT-001… alternating trays, recipe R1."""
    exp, trays, plants, recipe = f.make_running_experiment(session, plants=6, trays=2)
    exp.short_name = "T25"
    session.flush()
    return exp, trays, plants, recipe


def request(**kw) -> selection.LabelRequest:
    return selection.LabelRequest(**kw)


# Templates --------------------------------------------------------------------------------

def test_builtin_templates_fit_their_pages_and_have_the_published_counts():
    counts = {t.slug: t.cells_per_page for t in BUILTIN_TEMPLATES}
    assert counts == {"avery-5160": 30, "avery-8160": 30, "avery-l7651": 65,
                      "thermal-50x25": 1}
    for template in BUILTIN_TEMPLATES:
        assert geometry_errors(template) == {}
        assert template.used_width_mm <= template.page_width_mm + 0.05
        assert template.used_height_mm <= template.page_height_mm + 0.05
    a5160 = BUILTIN_BY_SLUG["avery-5160"]
    assert a5160.cell_origin(0) == (4.7625, 12.7)
    assert a5160.cell_origin(4) == pytest.approx((4.7625 + 66.675 + 3.175, 12.7 + 25.4))


def test_ensure_label_templates_is_idempotent(session):
    first = sheet_templates.ensure_label_templates(session)
    assert sheet_templates.ensure_label_templates(session) == 0
    slugs = set(session.scalars(select(LabelTemplate.slug)))
    assert {t.slug for t in BUILTIN_TEMPLATES} <= slugs
    assert first in (0, len(BUILTIN_TEMPLATES))
    rows = session.scalars(select(LabelTemplate).where(LabelTemplate.is_builtin)).all()
    assert len(rows) == len(BUILTIN_TEMPLATES)


def test_builtins_print_even_before_they_are_seeded(session):
    assert sheet_templates.get_template(session, "avery-l7651").cells_per_page == 65
    assert [t.slug for t in sheet_templates.list_templates(session)][:4] == [
        "avery-5160", "avery-8160", "avery-l7651", "thermal-50x25"]


GOOD_TEMPLATE = dict(name="Herma 4201", page_width_mm=210, page_height_mm=297, columns=4,
                     rows=12, label_width_mm=48.5, label_height_mm=22, margin_top_mm=16.5,
                     margin_left_mm=8, gap_x_mm=0, gap_y_mm=0)


def test_admin_adds_a_template_and_it_is_listed(session, builtins):
    admin = f.make_user(session, role="admin")
    row = sheet_templates.create_template(session, actor=admin, **GOOD_TEMPLATE)
    assert row.slug == "herma-4201" and not row.is_builtin
    template = sheet_templates.get_template(session, "herma-4201")
    assert template.cells_per_page == 48
    assert "herma-4201" in [t.slug for t in sheet_templates.list_templates(session)]


def test_only_admins_add_templates(session):
    operator = f.make_user(session, role="operator")
    with pytest.raises(Forbidden):
        sheet_templates.create_template(session, actor=operator, **GOOD_TEMPLATE)


@pytest.mark.parametrize("change, field, words", [
    ({"columns": 5}, "columns", "do not fit across the page"),
    ({"rows": 14}, "rows", "do not fit down the page"),
    ({"gap_x_mm": 3}, "columns", "do not fit across"),
    ({"label_width_mm": 5}, "label_width_mm", "at least 20 mm"),
    ({"page_width_mm": "wide"}, "page_width_mm", "size in mm"),
    ({"columns": 0}, "columns", "between 1 and 20"),
    ({"margin_top_mm": -1}, "margin_top_mm", "0 mm or more"),
])
def test_template_whose_cells_do_not_fit_is_refused_with_the_sum(session, change, field,
                                                                 words):
    admin = f.make_user(session, role="admin")
    with pytest.raises(Invalid) as err:
        sheet_templates.create_template(session, actor=admin, **{**GOOD_TEMPLATE, **change})
    assert field in err.value.errors
    assert any(words in m for m in err.value.errors[field])


def test_template_slug_must_be_new(session, builtins):
    admin = f.make_user(session, role="admin")
    with pytest.raises(Invalid) as err:
        sheet_templates.create_template(session, actor=admin,
                                        **{**GOOD_TEMPLATE, "slug": "avery-5160"})
    assert "already exists" in err.value.errors["slug"][0]


def test_a_stored_template_that_does_not_fit_cannot_print(session, trial):
    exp = trial[0]
    session.add(LabelTemplate(slug="broken", name="Broken", page_width_mm=100,
                              page_height_mm=100, columns=3, rows=1, label_width_mm=40,
                              label_height_mm=20))
    session.flush()
    with pytest.raises(Invalid) as err:
        selection.prepare_labels(session, experiment_id=exp.id, request=request(template="broken"),
                           base_url=BASE)
    assert "cannot be printed" in err.value.errors["template"][0]
    assert "120.00 mm" in err.value.errors["template"][0]


# Selection and validation -----------------------------------------------------------------

def test_all_active_plants_in_code_order_with_chosen_fields(session, trial):
    exp, trays, plants, _recipe = trial
    f.make_plant(session, exp, code="VFT-099", status="removed")
    prepared = selection.prepare_labels(
        session, experiment_id=exp.id, base_url=BASE,
        request=request(fields=("species", "cultivar", "recipe", "tray", "grade", "planted",
                                "experiment")))
    assert [label.code for label in prepared.labels] == [p.plant_code for p in plants]
    first = prepared.labels[0]
    assert first.qr_url == f"{BASE}/p/{plants[0].uuid}"
    assert first.lines[0].startswith("Venus flytrap")
    assert first.lines[1] == "R1 · TR1 · Grade A"
    assert first.lines[2].startswith("Planted ")
    assert first.lines[3] == "T25"
    assert prepared.filename == "t25-plants-labels-avery-5160.pdf"


def test_code_only_when_no_fields_are_chosen(session, trial):
    exp = trial[0]
    prepared = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                  request=request(fields=()))
    assert all(label.lines == [] for label in prepared.labels)


def test_tray_filter_and_ticked_plants(session, trial):
    exp, trays, plants, _recipe = trial
    in_tr2 = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                request=request(tray="TR2"))
    assert [lbl.code for lbl in in_tr2.labels] == ["VFT-002", "VFT-004", "VFT-006"]
    ticked = selection.prepare_labels(
        session, experiment_id=exp.id, base_url=BASE,
        request=request(plant_filter="selected", uuids=[str(plants[4].uuid),
                                                         str(plants[1].uuid)]))
    assert [lbl.code for lbl in ticked.labels] == ["VFT-002", "VFT-005"]


def test_needs_label_is_plants_added_since_the_last_plant_print(session, trial):
    exp, trays, plants, _recipe = trial
    operator = f.make_user(session)
    everything = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                    request=request(plant_filter="needs_label"))
    assert everything.count == 6  # never printed: all of them
    printing.record_print(session, everything, operator)
    event = session.scalar(select(Event).where(Event.kind == "labels.plants_printed"))
    assert event.summary.startswith("Printed 6 labels for 6 plants")
    with pytest.raises(Invalid) as err:
        selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                           request=request(plant_filter="needs_label"))
    assert "none needs a label" in err.value.errors["plants"][0]
    new = f.make_plant(session, exp, code="VFT-050")
    prepared = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                  request=request(plant_filter="needs_label"))
    assert [lbl.code for lbl in prepared.labels] == [new.plant_code]


def test_copies_repeat_each_label_in_place(session, trial):
    exp = trial[0]
    prepared = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                  request=request(copies=3, tray="TR1"))
    assert [lbl.code for lbl in prepared.labels] == ["VFT-001"] * 3 + ["VFT-003"] * 3 + \
        ["VFT-005"] * 3


@pytest.mark.parametrize("change, field, words", [
    ({"copies": 0}, "copies", "between 1 and 10"),
    ({"copies": 11}, "copies", "between 1 and 10"),
    ({"copies": "two"}, "copies", "between 1 and 10"),
    ({"start": 31}, "start", "from 1 to 30"),
    ({"start": 0}, "start", "from 1 to 30"),
    ({"start": 66, "template": "avery-l7651"}, "start", "from 1 to 65"),
    ({"start": 2, "template": "thermal-50x25"}, "start", "from 1 to 1"),
    ({"template": "nope"}, "template", "no sheet template 'nope'"),
    ({"fields": ("species", "colour")}, "fields", "Unknown field colour"),
    ({"kind": "pots"}, "kind", "plants, trays or tents"),
    ({"plant_filter": "selected"}, "plants", "Tick at least one plant"),
    ({"plant_filter": "selected", "uuids": ["not-a-uuid"]}, "plants", "not plant ids"),
    ({"tray": "TR9"}, "tray", "no tray TR9"),
])
def test_bad_input_is_refused_with_field_messages(session, trial, change, field, words):
    exp = trial[0]
    with pytest.raises(Invalid) as err:
        selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                           request=replace(request(), **change))
    assert any(words in m for m in err.value.errors[field]), err.value.errors


def test_several_mistakes_are_reported_together(session, trial):
    with pytest.raises(Invalid) as err:
        selection.prepare_labels(session, experiment_id=trial[0].id, base_url=BASE,
                           request=request(copies=0, start=99))
    assert set(err.value.errors) == {"copies", "start"}


def test_empty_selections(session, builtins):
    exp = f.make_experiment(session)
    for kind, words in (("plants", "no active plants"), ("trays", "no trays"),
                        ("tents", "no tents")):
        with pytest.raises(Invalid) as err:
            selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                               request=request(kind=kind))
        assert words in err.value.errors[kind][0]
    sample = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                request=request(), allow_sample=True)
    assert sample.sample and sample.count == 30


def test_plants_of_another_experiment_cannot_be_ticked(session, trial):
    other = f.make_plant(session, f.make_experiment(session))
    with pytest.raises(Invalid) as err:
        selection.prepare_labels(session, experiment_id=trial[0].id, base_url=BASE,
                           request=request(plant_filter="selected", uuids=[str(other.uuid)]))
    assert "not in this experiment" in err.value.errors["plants"][0]


def test_missing_experiment(session, builtins):
    with pytest.raises(NotFound):
        selection.prepare_labels(session, experiment_id=987654, base_url=BASE, request=request())


def test_too_many_labels(session, trial, monkeypatch):
    monkeypatch.setattr(selection, "MAX_LABELS", 10)
    with pytest.raises(Invalid) as err:
        selection.prepare_labels(session, experiment_id=trial[0].id, base_url=BASE,
                           request=request(copies=2))
    assert "at most 10" in err.value.errors["copies"][0]


# The QR base URL rule ---------------------------------------------------------------------

def test_base_url_in_development_falls_back_to_the_request_host():
    assert qr_base_url({"ENV": "development"}, "http://10.0.0.5:5000/") == \
        "http://10.0.0.5:5000"
    assert qr_base_url({"ENV": "development", "PUBLIC_BASE_URL": "https://grow.example.org/"},
                       "http://localhost/") == "https://grow.example.org"


@pytest.mark.parametrize("configured", [None, "", "http://localhost:8000", "http://127.0.0.1",
                                        "http://127.0.1.1:5000", "http://[::1]:8000",
                                        "http://0.0.0.0", "https://grow.localhost"])
def test_production_refuses_to_print_without_a_public_address(configured):
    with pytest.raises(Conflict) as err:
        qr_base_url({"ENV": "production", "PUBLIC_BASE_URL": configured}, "http://localhost/")
    assert err.value.detail.startswith("Labels were not printed: PUBLIC_BASE_URL")
    assert err.value.diagnostics["env"] == "production"


def test_production_prints_with_a_public_address_or_when_told_to():
    config = {"ENV": "production", "PUBLIC_BASE_URL": "https://grow.example.org"}
    assert qr_base_url(config, "http://127.0.0.1/") == "https://grow.example.org"
    config = {"ENV": "production", "PUBLIC_BASE_URL": "http://localhost:8000",
              "LABELS_ALLOW_LOCALHOST": True}
    assert qr_base_url(config, "http://127.0.0.1/") == "http://localhost:8000"


def test_base_url_must_be_an_address():
    with pytest.raises(Conflict):
        qr_base_url({"ENV": "development", "PUBLIC_BASE_URL": "grow.example.org"}, "http://x/")
    assert not is_local_host("grow.example.org")
    assert is_local_host("LOCALHOST.") and is_local_host("127.9.9.9")


# Text fits --------------------------------------------------------------------------------

@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.slug)
def test_longest_code_and_species_fit_by_fixed_metrics(template):
    boxes = cell_boxes(template)
    content = LabelContent(LONG_CODE, [LONG_SPECIES, "R12 · TR12 · Grade A",
                                       "Planted 2025-03-01", "X" * 24], f"{BASE}/p/{uuid.uuid4()}")
    lines = layout_label(template, content)
    code_lines = [line for line in lines if line.bold]
    assert "".join(line.text for line in code_lines) == LONG_CODE  # wrapped, never cut
    assert all(width_mm(line.text, line.quarter_pt) <= boxes.text_width + 1e-6
               for line in lines)
    assert sum(line.height_mm for line in lines) <= boxes.text_height + 1e-6
    assert min(line.quarter_pt for line in code_lines) >= 16  # never below 4 pt
    species = [line for line in lines if not line.bold][0]
    assert species.text.endswith("…")


def test_short_codes_stay_on_one_big_line():
    for template in BUILTIN_TEMPLATES:
        lines = layout_label(template, LabelContent("VFT-001", ["Venus flytrap"], BASE + "/p/x"))
        assert lines[0].text == "VFT-001" and lines[0].quarter_pt >= 36  # ≥ 9 pt


@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.slug)
def test_rendered_text_never_leaves_its_cell(template):
    labels = [LabelContent(LONG_CODE, [LONG_SPECIES, "R12 · TR12 · Grade A", "T25"],
                           f"{BASE}/p/{uuid.uuid4()}") for _ in range(min(3, 65))]
    labels.append(LabelContent("WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", ["M" * 120], None))
    start = max(1, template.cells_per_page - 3)  # also the last cells of the sheet
    pdf = render_pdf(template, labels, start=start)
    assert char_boxes_outside_cells(pdf, template) == []
    scans = scan_pdf(pdf, template)
    printed = squash("".join(t for scan in scans for t in scan.texts.values()))
    assert printed.count(LONG_CODE) == 3  # the whole code is on every label


# QR codes ---------------------------------------------------------------------------------

def test_a_sheet_drawn_again_reuses_its_qr_codes(monkeypatch):
    """The labels page redraws its first sheet on every change of a field: the codes are
    made once, and the second drawing is the same sheet."""
    made = []
    monkeypatch.setattr(sheet, "qr_matrix", lambda url: made.append(url) or qr_matrix(url))
    sheet._qr_cell.cache_clear()
    template = BUILTIN_BY_SLUG["avery-l7651"]
    cells = [(i, LabelContent(code=f"QR-{i}", qr_url=f"{BASE}/p/{uuid.UUID(int=i)}"))
             for i in range(10)]
    first = page_html(template, cells)
    assert page_html(template, cells) == first
    assert len(made) == 10

def test_qr_shapes_cover_exactly_the_dark_modules():
    for i in range(20):
        matrix = qr_matrix(f"{BASE}/p/{uuid.UUID(int=i * 7919)}")
        n = len(matrix)
        drawn = [[0] * n for _ in range(n)]
        shapes = qr_shapes(matrix)
        for x, y, length, vertical in shapes.lines:
            for k in range(length):
                drawn[y + k if vertical else y][x if vertical else x + k] = 1
        for x, y, side in shapes.rings:
            for k in range(side):
                for a, b in ((x + k, y), (x + k, y + side - 1), (x, y + k),
                             (x + side - 1, y + k)):
                    drawn[b][a] = 1
        for x, y in shapes.dots3:
            for j in range(3):
                for k in range(3):
                    drawn[y + j][x + k] = 1
        for x, y, length, vertical in shapes.timing:
            for k in range(0, length, 2):
                drawn[y + k if vertical else y][x if vertical else x + k] = 1
        assert drawn == [list(row) for row in matrix]
        assert len(shapes.rings) == 4 and len(shapes.timing) == 2  # v4: 3 finders + 1


@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.slug)
def test_every_qr_on_every_builtin_template_decodes_to_its_plant(session, builtins,
                                                                template):
    """A full first sheet of plant labels (3 labels for the one-up thermal roll)."""
    exp = f.make_experiment(session, name="QR check")
    count = min(template.cells_per_page, 65) if template.cells_per_page > 1 else 3
    plants = [f.make_plant(session, exp, code=f"QR-{i:03d}") for i in range(1, count + 1)]
    prepared = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                  request=request(template=template.slug))
    pdf = render_pdf(prepared.template, prepared.labels)
    scans = scan_pdf(pdf, template)
    code_by_url = {f"{BASE}/p/{p.uuid}": p.plant_code for p in plants}
    assert assert_qr_matches_code(scans, code_by_url) == count
    placed = place(template, prepared.labels)
    for scan, cells in zip(scans, placed, strict=True):
        assert scan.urls == {index: label.qr_url for index, label in cells}


def test_start_position_and_copies_are_honoured(session, trial):
    exp, _trays, plants, _recipe = trial
    template = BUILTIN_BY_SLUG["avery-5160"]
    prepared = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                  request=request(start=28, copies=2, tray="TR1"))
    scans = scan_pdf(render_pdf(template, prepared.labels, start=28), template)
    url = {p.plant_code: f"{BASE}/p/{p.uuid}" for p in plants}
    assert len(scans) == 2
    assert scans[0].urls == {27: url["VFT-001"], 28: url["VFT-001"], 29: url["VFT-003"]}
    assert scans[1].urls == {0: url["VFT-003"], 1: url["VFT-005"], 2: url["VFT-005"]}
    assert "VFT-001" in scans[0].texts[27] and 26 not in scans[0].texts


def test_tray_and_tent_labels(session, trial):
    exp, trays, _plants, _recipe = trial
    template = BUILTIN_BY_SLUG["avery-l7651"]
    prepared = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                  request=request(kind="trays", template="avery-l7651"))
    assert prepared.labels[0].lines == ["R1 · Recipe R1", "T25"]
    scans = scan_pdf(render_pdf(template, prepared.labels), template)
    assert assert_qr_matches_code(scans, {f"{BASE}/t/{t.uuid}": t.code for t in trays}) == 2
    one = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                             request=request(kind="trays", uuids=[str(trays[1].uuid)]))
    assert [lbl.code for lbl in one.labels] == ["TR2"]
    tents = selection.prepare_labels(session, experiment_id=exp.id, base_url=None,
                               request=request(kind="tents"))
    assert [(lbl.code, lbl.qr_url) for lbl in tents.labels] == [("TN1", None)]
    scans = scan_pdf(render_pdf(template, tents.labels), template)
    assert scans[0].urls == {} and "TN1" in scans[0].texts[0]


@pytest.mark.skipif(not can_render_in_parallel(), reason="pypdf joins the parallel parts")
def test_parallel_rendering_joins_the_parts_in_order():
    template = BUILTIN_BY_SLUG["thermal-50x25"]
    labels = [LabelContent(f"P-{i}", ["part"], f"{BASE}/p/{uuid.UUID(int=i)}") for i in range(5)]
    seen = []
    pdf = render_pdf(template, labels, workers=2, chunk_pages=1, progress=seen.append)
    scans = scan_pdf(pdf, template)
    assert [scan.urls[0] for scan in scans] == [label.qr_url for label in labels]
    assert seen[-1] == 5 and seen == sorted(seen)


# Printing now ------------------------------------------------------------------------------

def test_print_labels_renders_and_writes_nothing(session, trial):
    """GETs render through print_labels: a download is not a print (the job records it)."""
    exp = trial[0]
    operator = f.make_user(session)
    session.flush()
    prepared, pdf = printing.print_labels(session, experiment_id=exp.id, base_url=BASE,
                                     request=request(template="thermal-50x25", tray="TR2"),
                                     actor=operator)
    assert pdf.startswith(b"%PDF") and len(pdfium.PdfDocument(pdf)) == 3
    assert not session.new and not session.dirty
    assert session.scalar(select(Event).where(Event.experiment_id == exp.id,
                                              Event.kind == "labels.plants_printed")) is None


def test_removed_plants_are_not_printed_unless_ticked(session, trial):
    exp, _trays, plants, _recipe = trial
    plant = session.get(Plant, plants[0].id)
    plant.status = "removed"
    session.flush()
    codes = [lbl.code for lbl in selection.prepare_labels(
        session, experiment_id=exp.id, base_url=BASE, request=request()).labels]
    assert "VFT-001" not in codes
    ticked = selection.prepare_labels(session, experiment_id=exp.id, base_url=BASE,
                                request=request(plant_filter="selected",
                                                uuids=[str(plant.uuid)]))
    assert [lbl.code for lbl in ticked.labels] == ["VFT-001"]


def test_more_than_100_labels_are_not_rendered_now(session, trial):
    exp = trial[0]
    for i in range(selection.BACKGROUND_OVER):
        f.make_plant(session, exp, code=f"BIG-{i:03d}")
    with pytest.raises(Conflict) as err:
        printing.print_labels(session, experiment_id=exp.id, base_url=BASE, request=request(),
                              actor=f.make_user(session))
    assert err.value.diagnostics == {"labels": 106, "limit": 100}
    assert "background job" in err.value.detail
    counted_after_copies = request(tray="TR1", copies=10)  # 3 plants × 10 = 30: fine
    prepared, _pdf = printing.print_labels(session, experiment_id=exp.id, base_url=BASE,
                                           request=counted_after_copies, actor=None)
    assert prepared.count == 30
