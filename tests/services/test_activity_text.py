"""Activity lines in words: old measurement lines stored with raw keys are worded again
from their payload when shown (services/metrics.activity_text)."""

from growapp.services.metrics import activity_text
from growapp.services.presets import default_fields


def test_a_raw_line_is_worded_from_its_payload_in_template_order():
    payload = {"week_number": 0, "values": {"vigour": 4, "colour": "red", "leaf_count": 7}}
    text = activity_text("plant.measured", "Baseline: grade A; vigour 4, colour red, leaf_count 7",
                         payload, category="flytrap")
    assert text == "Baseline: grade A; Leaves 7, Vigour 4, Colouration red"


def test_the_plants_own_template_wins_over_the_defaults():
    fields = [{"key": "leaf_count", "label": "Green leaves", "type": "int", "unit": None}]
    text = activity_text("plant.measured", "Week 1: leaf_count 5",
                         {"values": {"leaf_count": 5}}, fields=fields)
    assert text == "Week 1: Green leaves 5"


def test_lines_already_in_words_and_other_kinds_are_left_alone():
    worded = "Week 3: Leaves 6, Rosette / clump diameter 65 mm"
    payload = {"values": {"leaf_count": 6, "diameter_mm": 65.0}}
    assert activity_text("plant.measured", worded, payload,
                         fields=default_fields("flytrap")) == worded
    assert activity_text("plant.fed", "Fed R1 (lot L-01)", {"recipe": "R1"}) == "Fed R1 (lot L-01)"
    assert activity_text("plant.measured", "Week 1: something", None) == "Week 1: something"
