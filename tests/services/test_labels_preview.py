"""The labels preview counts the selection in SQL and builds only its first sheet, and says
the same as printing would: the count, the sheets, the first labels, the refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from growapp.services.errors import Invalid
from growapp.services.labels import printing, selection, sheet_templates
from tests.helpers import factories as f
from tests.helpers.statements import count_statements

BASE = "https://growapp.example.org"
PER_SHEET = 30  # avery-5160


@pytest.fixture
def big(session):
    """Running, 3 trays, 70 plants VFT-001…VFT-070 (TR1 holds 1, 4, 7, …); one removed."""
    sheet_templates.ensure_label_templates(session)
    exp, trays, plants, _recipe = f.make_running_experiment(session, plants=70, trays=3)
    f.make_plant(session, exp, code="VFT-000", status="removed")
    session.flush()
    return exp, trays, plants


def both(session, exp, **kw):
    """(preview, its first sheet, everything as printing builds it) for one request."""
    req = selection.LabelRequest(**kw)
    preview, cells = selection.preview_labels(session, experiment_id=exp.id, request=req,
                                              base_url=BASE)
    full = selection.prepare_labels(session, experiment_id=exp.id, request=req, base_url=BASE)
    return preview, cells, full


def test_preview_counts_every_label_and_builds_only_the_first_sheet(session, big):
    exp, _trays, plants = big
    preview, cells, full = both(session, exp)
    assert preview.count == full.count == 70
    assert preview.pages == full.pages == 3
    assert len(preview.labels) == PER_SHEET  # not 70
    assert [label.code for _i, label in cells] == [p.plant_code for p in plants[:PER_SHEET]]
    assert [label for _i, label in cells] == full.labels[:PER_SHEET]
    assert preview.ids == full.ids[:PER_SHEET]
    assert not preview.sample


@pytest.mark.parametrize("kw", [
    {"tray": "TR2"},
    {"q": "VFT-06"},
    {"q": "flytrap", "tray": "TR1"},
    {"copies": 3},
    {"copies": 2, "start": 28},
    {"start": 30, "tray": "TR3"},
    {"fields": ("cultivar", "tray", "grade", "planted")},
    {"kind": "trays"},
    {"kind": "tents"},
])
def test_preview_says_what_printing_would(session, big, kw):
    exp = big[0]
    preview, cells, full = both(session, exp, **kw)
    assert preview.count == full.count
    assert preview.pages == full.pages
    start = kw.get("start", 1)
    first = full.labels[:PER_SHEET - start + 1]
    assert [label for _i, label in cells] == first
    assert [i for i, _label in cells] == list(range(start - 1, start - 1 + len(first)))


def test_preview_of_needs_label_follows_the_last_print(session, big):
    exp = big[0]
    preview, _cells, full = both(session, exp, plant_filter="needs_label")
    assert preview.count == 70
    printing.record_print(session, full, f.make_user(session))
    empty, _cells = selection.preview_labels(
        session, experiment_id=exp.id, base_url=BASE,
        request=selection.LabelRequest(plant_filter="needs_label"))
    assert empty.sample  # none needs a label: the example sheet
    new = [f.make_plant(session, exp, code=f"VFT-{n}") for n in (901, 902)]
    preview, cells, full = both(session, exp, plant_filter="needs_label")
    assert preview.count == full.count == 2
    assert [label.code for _i, label in cells] == [p.plant_code for p in new]


def test_preview_refuses_what_printing_refuses(session, big, monkeypatch):
    exp = big[0]
    monkeypatch.setattr(selection, "MAX_LABELS", 100)
    req = selection.LabelRequest(copies=2)  # 140 labels
    for build in (selection.preview_labels, selection.prepare_labels):
        with pytest.raises(Invalid) as err:
            build(session, experiment_id=exp.id, request=req, base_url=BASE)
        assert "That is 140 labels; print at most 100" in err.value.errors["copies"][0]
    with pytest.raises(Invalid) as err:
        selection.preview_labels(session, experiment_id=exp.id, base_url=BASE,
                                 request=replace(req, tray="TR9"))
    assert "no tray TR9" in err.value.errors["tray"][0]


def test_preview_of_nothing_matching_is_the_example_sheet(session, big):
    preview, cells = selection.preview_labels(
        session, experiment_id=big[0].id, base_url=BASE,
        request=selection.LabelRequest(q="no such plant"))
    assert preview.sample and preview.ids == [] and len(cells) == PER_SHEET


def test_preview_statements_and_labels_built_do_not_grow_with_plants(session, connection):
    sheet_templates.ensure_label_templates(session)
    seen = []
    for n in (10, 200):
        exp = f.make_running_experiment(session, plants=n, trays=4)[0]
        session.flush()
        req = selection.LabelRequest(plant_filter="needs_label", tray="TR1", q="VFT")
        with count_statements(connection) as statements:
            prepared, _cells = selection.preview_labels(session, experiment_id=exp.id,
                                                        request=req, base_url=BASE)
        seen.append((len(statements), len(prepared.labels)))
        assert prepared.count == (n + 3) // 4
    assert seen[0][0] == seen[1][0], seen
    assert seen[1][1] == PER_SHEET, seen
