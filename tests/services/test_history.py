"""A plant's and a tray's story: trends per numeric metric, photos grouped by week."""

from __future__ import annotations

from datetime import timedelta

from growapp.models import Photo, PlantMetric
from growapp.services.read.history import history
from growapp.web.floor.trends import spark
from tests.helpers import factories as f


def _trial(session):
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=2)
    exp.started_at = exp.started_at - timedelta(weeks=3)
    a, b = plants
    for week, (va, vb) in enumerate([(4, 6), (6, 6), (9, None)], start=1):
        session.add(PlantMetric(plant_id=a.id, week_number=week,
                                values={"leaf_count": va, "colour": "red", "flowering": True}))
        if vb is not None:
            session.add(PlantMetric(plant_id=b.id, week_number=week, values={"leaf_count": vb}))
    session.add(Photo(plant_id=a.id, file_path="a1", thumb_path="a1t", week_number=2))
    session.add(Photo(plant_id=b.id, file_path="b1", thumb_path="b1t",
                      created_at=exp.started_at + timedelta(days=8)))
    session.flush()
    for p in plants:
        session.refresh(p)
    return exp, plants


def test_plant_story_has_numeric_trends_and_photos_by_week(session):
    exp, (a, _b) = _trial(session)
    story = history(session, experiment=exp, plants=[a])
    keys = [t.key for t in story.trends]
    assert "leaf_count" in keys and "colour" not in keys and "flowering" not in keys
    leaves = next(t for t in story.trends if t.key == "leaf_count")
    assert leaves.points == [(1, 4.0), (2, 6.0), (3, 9.0)] and leaves.change == 5
    assert [(w.week, len(w.photos)) for w in story.photo_weeks] == [(2, 1)]
    s = spark(leaves)
    assert s.path.startswith("M") and [p[2] for p in s.points] == ["4", "6", "9"]
    assert s.change == "+5 since week 1" and "week 3 9" in s.summary


def test_tray_story_has_each_plant_and_the_mean(session):
    exp, plants = _trial(session)
    story = history(session, experiment=exp, plants=plants)
    leaves = next(t for t in story.trends if t.key == "leaf_count")
    assert set(leaves.plants) == {"VFT-001", "VFT-002"}
    assert leaves.points == [(1, 5.0), (2, 6.0), (3, 9.0)]
    assert len(spark(leaves).plant_paths) == 2
    weeks = {w.week: [code for _ph, code in w.photos] for w in story.photo_weeks}
    assert weeks == {1: ["VFT-002"], 2: ["VFT-001"]}  # undated photo: week from its date


def test_empty_story(session):
    exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
    story = history(session, experiment=exp, plants=[])
    assert story.trends == [] and story.photo_weeks == []
    one = history(session, experiment=exp, plants=plants)
    assert [t.key for t in one.trends] == ["vigour"] and spark(one.trends[0]).change == ""
