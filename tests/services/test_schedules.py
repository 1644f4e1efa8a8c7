"""Schedules: validation, the plan (ordering, grouping, status, blockers), marking
occurrences, and a fixed number of SQL statements for the plan."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import (
    Event,
    FeedingLog,
    Photo,
    PlantMetric,
    RotationLog,
    ScheduleAction,
    ScheduleRule,
    ScheduleScope,
    TaskCompletion,
)
from growapp.services import schedules as svc
from growapp.services.errors import Forbidden, Invalid, NotFound
from tests.helpers import factories as f
from tests.helpers.statements import count_statements

MONDAY = date(2026, 3, 2)  # a Monday
assert MONDAY.weekday() == 0


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


@pytest.fixture
def world(session):
    """A running experiment: TN1 with TR1 (R1, 2 plants) and TR2 (no recipe, 1 plant),
    TR3 outside any slot, and an unplaced plant."""
    exp = f.make_experiment(session, status="running")
    tent = f.make_tent(session, exp, positions=3)
    recipe = f.make_recipe(session, exp, "R1")
    tr1 = f.make_tray(session, exp, "TR1", slot=tent.slots[0], recipe=recipe)
    tr2 = f.make_tray(session, exp, "TR2", slot=tent.slots[1])
    tr3 = f.make_tray(session, exp, "TR3")
    p1 = f.make_plant(session, exp, code="VFT-001", tray=tr1)
    p2 = f.make_plant(session, exp, code="VFT-002", tray=tr1)
    p3 = f.make_plant(session, exp, code="VFT-003", tray=tr2)
    p4 = f.make_plant(session, exp, code="VFT-004")
    actor = f.make_user(session, "operator")
    return {"exp": exp, "tent": tent, "recipe": recipe, "trays": [tr1, tr2, tr3],
            "plants": [p1, p2, p3, p4], "actor": actor}


def make(session, w, **kw):
    args = {"experiment_id": w["exp"].id, "actor": w["actor"], "action_type": "water",
            "title": "Water", "timeframe": "morning",
            "rule": {"kind": "weekly", "weekdays": [0, 2, 4]}, "start_date": MONDAY,
            "scope": {"type": "tray", "ids": [w["trays"][0].id]}}
    args.update(kw)
    return svc.create_schedule(session, **args)


def actions_on(result, day: date):
    for d in result["days"]:
        if d["date"] == day.isoformat():
            return [a for g in d["groups"] for a in g["actions"]]
    raise AssertionError(f"{day} not in plan")


# Creating and validating -----------------------------------------------------------------

def test_create_writes_action_rule_scopes_and_event(session, world):
    action = make(session, world, title="  Feed R1  ", action_type="feed", notes="half dose",
                  scope={"type": "plant", "ids": [world["plants"][1].id, world["plants"][0].id]},
                  rule={"kind": "weekly", "weekdays": [4, 0, 0]})
    assert action.title == "Feed R1" and action.timeframe == "morning"
    rule = session.scalar(select(ScheduleRule).where(ScheduleRule.action_id == action.id))
    assert rule.kind == "weekly" and rule.weekdays == [0, 4] and rule.start_date == MONDAY
    scopes = session.scalars(select(ScheduleScope).where(ScheduleScope.action_id == action.id))
    assert sorted(s.plant_id for s in scopes) == sorted(p.id for p in world["plants"][:2])
    event = session.scalar(select(Event).where(Event.kind == "schedule.created"))
    assert "Feed R1" in event.summary and event.experiment_id == world["exp"].id
    [summary] = svc.schedule_summaries(session, [action])
    assert summary["scope"]["codes"] == ["VFT-001", "VFT-002"]
    assert summary["description"] == "Mon, Fri · morning"


def test_interval_and_exact_time(session, world):
    action = make(session, world, timeframe=None, exact_time="07:45",
                  rule={"kind": "interval", "every_days": 3})
    assert action.exact_time == time(7, 45) and action.timeframe is None
    assert action.rule.every_days == 3 and action.rule.weekdays == []


@pytest.mark.parametrize("overrides, field, message", [
    ({"rule": {"kind": "weekly", "weekdays": []}}, "rule.weekdays", "Choose at least one day"),
    ({"rule": {"kind": "weekly", "weekdays": [7]}}, "rule.weekdays", "0 (Monday) to 6"),
    ({"rule": {"kind": "interval", "every_days": 0}}, "rule.every_days", "1 to 365"),
    ({"rule": {"kind": "interval", "every_days": 366}}, "rule.every_days", "1 to 365"),
    ({"rule": {"kind": "monthly"}}, "rule.kind", "weekly"),
    ({"end_date": MONDAY - timedelta(days=1)}, "end_date", "before the start date"),
    ({"start_date": None}, "start_date", "start date"),
    ({"timeframe": None}, "timeframe", "or an exact time"),
    ({"exact_time": time(9)}, "timeframe", "not both"),
    ({"timeframe": "night"}, "timeframe", "morning, afternoon or evening"),
    ({"exact_time": "25:99", "timeframe": None}, "exact_time", "HH:MM"),
    ({"title": "   "}, "title", "title"),
    ({"title": "x" * 121}, "title", "120"),
    ({"notes": "a\x00b"}, "notes", "control characters"),
    ({"action_type": "prune"}, "action_type", "feed"),
    ({"scope": {"type": "tray", "ids": []}}, "scope.ids", "at least one tray"),
    ({"scope": {"type": "shelf", "ids": [1]}}, "scope.type", "tents, trays or plants"),
    ({"scope": {"type": "tent", "ids": [999999]}}, "scope.ids", "Not tents of this experiment"),
])
def test_create_422_cases(session, world, overrides, field, message):
    with pytest.raises(Invalid) as err:
        make(session, world, **overrides)
    assert field in err.value.errors, err.value.errors
    assert any(message in m for m in err.value.errors[field]), err.value.errors


def test_scope_ids_must_belong_to_the_experiment_and_plants_be_active(session, world):
    other = f.make_experiment(session)
    foreign = f.make_tray(session, other, "TR1")
    with pytest.raises(Invalid) as err:
        make(session, world, scope={"type": "tray", "ids": [foreign.id]})
    assert str(foreign.id) in err.value.errors["scope.ids"][0]
    removed = f.make_plant(session, world["exp"], code="VFT-099", status="removed")
    with pytest.raises(Invalid) as err:
        make(session, world, scope={"type": "plant", "ids": [removed.id]})
    assert "VFT-099" in err.value.errors["scope.ids"][0]


def test_several_errors_come_together_and_nothing_is_written(session, world):
    with pytest.raises(Invalid) as err:
        make(session, world, title="", rule={"kind": "weekly", "weekdays": []},
             end_date=MONDAY - timedelta(days=3))
    assert {"title", "rule.weekdays", "end_date"} <= set(err.value.errors)
    assert session.scalar(select(func.count(ScheduleAction.id))) == 0


def test_viewers_cannot_create_and_unknown_experiment_is_404(session, world):
    with pytest.raises(Forbidden):
        make(session, world, actor=f.make_user(session, "viewer"))
    with pytest.raises(NotFound):
        make(session, world, experiment_id=999999)


def test_update_pause_and_switch_timeframe(session, world):
    action = make(session, world)
    svc.update_schedule(session, schedule_id=action.id, actor=world["actor"], exact_time="18:30")
    assert action.exact_time == time(18, 30) and action.timeframe is None
    svc.update_schedule(session, schedule_id=action.id, actor=world["actor"],
                        timeframe="evening", is_active=False, title="Water TR1",
                        end_date=MONDAY + timedelta(days=30))
    assert (action.timeframe, action.exact_time, action.is_active, action.title) == (
        "evening", None, False, "Water TR1")
    assert action.rule.end_date == MONDAY + timedelta(days=30)
    kinds = set(session.scalars(select(Event.kind)))
    assert "schedule.paused" in kinds
    with pytest.raises(Invalid) as err:
        svc.update_schedule(session, schedule_id=action.id, actor=world["actor"],
                            end_date=MONDAY - timedelta(days=1))
    assert "end_date" in err.value.errors
    with pytest.raises(Invalid) as err:
        svc.update_schedule(session, schedule_id=action.id, actor=world["actor"],
                            timeframe=None)
    assert "timeframe" in err.value.errors


def test_delete_removes_rule_scopes_and_completions(session, world):
    action = make(session, world)
    svc.mark_occurrence(session, schedule_id=action.id, actor=world["actor"], date=MONDAY,
                        status="done")
    svc.delete_schedule(session, schedule_id=action.id, actor=world["actor"])
    for model in (ScheduleAction, ScheduleRule, ScheduleScope, TaskCompletion):
        assert session.scalar(select(func.count(model.id))) == 0
    with pytest.raises(NotFound):
        svc.delete_schedule(session, schedule_id=action.id, actor=world["actor"])


def test_list_schedules(session, world):
    make(session, world, title="B")
    make(session, world, title="A")
    assert [a.title for a in svc.list_schedules(session, world["exp"].id)] == ["A", "B"]


# Occurrences and the plan ----------------------------------------------------------------

def test_weekly_and_interval_occurrences_within_dates(session, world):
    make(session, world, title="Weekly", rule={"kind": "weekly", "weekdays": [0, 3]},
         end_date=MONDAY + timedelta(days=7))
    make(session, world, title="Every 3", rule={"kind": "interval", "every_days": 3},
         start_date=MONDAY + timedelta(days=1))
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=14,
                      today=MONDAY)
    assert len(result["days"]) == 14
    by_title = {}
    for d in result["days"]:
        for g in d["groups"]:
            for a in g["actions"]:
                by_title.setdefault(a["title"], []).append(date.fromisoformat(d["date"]))
    offsets = {k: [(d - MONDAY).days for d in v] for k, v in by_title.items()}
    assert offsets == {"Weekly": [0, 3, 7], "Every 3": [1, 4, 7, 10, 13]}


def test_groups_ordered_by_timeframe_then_time_and_actions_by_type_then_title(session, world):
    every = {"kind": "interval", "every_days": 1}
    make(session, world, title="Z evening", timeframe="evening", rule=every)
    make(session, world, title="At 14:00", timeframe=None, exact_time="14:00", rule=every)
    make(session, world, title="At 06:30", timeframe=None, exact_time="06:30", rule=every)
    make(session, world, title="b water", action_type="water", rule=every)
    make(session, world, title="a water", action_type="water", rule=every)
    make(session, world, title="z feed", action_type="feed", rule=every)
    make(session, world, title="custom", action_type="custom", rule=every)
    make(session, world, title="Afternoon", timeframe="afternoon", rule=every)
    paused = make(session, world, title="Paused", rule=every)
    svc.update_schedule(session, schedule_id=paused.id, actor=world["actor"], is_active=False)
    day = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=1,
                   today=MONDAY)["days"][0]
    assert [(g["key"], g["timeframe"], g["time"]) for g in day["groups"]] == [
        ("morning", "morning", None), ("afternoon", "afternoon", None),
        ("evening", "evening", None), ("time-06:30", None, "06:30"),
        ("time-14:00", None, "14:00")]
    assert [a["title"] for a in day["groups"][0]["actions"]] == [
        "z feed", "a water", "b water", "custom"]
    action = day["groups"][0]["actions"][1]
    assert set(action) >= {"schedule_id", "action_type", "title", "notes", "scope", "status",
                           "automatic", "blockers", "completion"}
    assert action["scope"]["codes"] == ["TR1"] and action["scope"]["type"] == "tray"


def test_status_overdue_due_and_manual_marks(session, world):
    action = make(session, world, rule={"kind": "interval", "every_days": 1})
    actor = world["actor"]
    svc.mark_occurrence(session, schedule_id=action.id, actor=actor, date=MONDAY,
                        status="done")
    svc.mark_occurrence(session, schedule_id=action.id, actor=actor,
                        date=MONDAY + timedelta(days=1), status="skipped", reason="rain")
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=4,
                      today=MONDAY + timedelta(days=3))
    statuses = [actions_on(result, MONDAY + timedelta(days=i))[0]["status"] for i in range(4)]
    assert statuses == ["done", "skipped", "overdue", "due"]
    skipped = actions_on(result, MONDAY + timedelta(days=1))[0]
    assert skipped["completion"]["reason"] == "rain"
    assert skipped["completion"]["user_name"] == actor.display_name
    assert skipped["automatic"] is False and skipped["blockers"] == []
    # a second mark replaces the first (one row per action and date)
    svc.mark_occurrence(session, schedule_id=action.id, actor=actor,
                        date=MONDAY + timedelta(days=1), status="done")
    rows = session.scalars(select(TaskCompletion).where(
        TaskCompletion.action_id == action.id)).all()
    assert len(rows) == 2 and {r.status for r in rows} == {"done"}
    assert all(r.reason == "" and r.user_id == actor.id for r in rows)


def test_mark_occurrence_422(session, world):
    action = make(session, world, rule={"kind": "weekly", "weekdays": [0]})
    actor = world["actor"]
    with pytest.raises(Invalid) as err:
        svc.mark_occurrence(session, schedule_id=action.id, actor=actor, date=MONDAY,
                            status="skipped", reason="  ")
    assert "reason" in err.value.errors
    with pytest.raises(Invalid) as err:
        svc.mark_occurrence(session, schedule_id=action.id, actor=actor,
                            date=MONDAY + timedelta(days=1), status="done")
    assert "not planned" in err.value.errors["date"][0]
    with pytest.raises(Invalid) as err:
        svc.mark_occurrence(session, schedule_id=action.id, actor=actor,
                            date=MONDAY - timedelta(days=7), status="done")
    assert "date" in err.value.errors
    with pytest.raises(Invalid) as err:
        svc.mark_occurrence(session, schedule_id=action.id, actor=actor, date=MONDAY,
                            status="maybe")
    assert "status" in err.value.errors
    with pytest.raises(NotFound):
        svc.mark_occurrence(session, schedule_id=999999, actor=actor, date=MONDAY,
                            status="done")


def test_feed_done_automatically_when_every_plant_in_scope_was_fed(session, world):
    tr1 = world["trays"][0]
    p1, p2 = world["plants"][:2]
    action = make(session, world, action_type="feed", title="Feed TR1",
                  rule={"kind": "interval", "every_days": 1},
                  scope={"type": "tray", "ids": [tr1.id]})
    tuesday = MONDAY + timedelta(days=1)
    # Monday: both plants fed (one late in the UTC day); Tuesday: only one; a skipped log
    # does not count.
    for plant, when in ((p1, at(MONDAY, 6)), (p2, at(MONDAY, 23))):
        session.add(FeedingLog(plant_id=plant.id, recipe_id=world["recipe"].id,
                               tray_id=tr1.id, status="fed", fed_at=when))
    session.add(FeedingLog(plant_id=p1.id, recipe_id=world["recipe"].id, tray_id=tr1.id,
                           status="fed", fed_at=at(tuesday)))
    session.add(FeedingLog(plant_id=p2.id, recipe_id=world["recipe"].id, tray_id=tr1.id,
                           status="skipped", reason="wet", fed_at=at(tuesday)))
    session.flush()
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=3,
                      today=tuesday)
    monday = actions_on(result, MONDAY)[0]
    assert (monday["status"], monday["automatic"], monday["completion"]) == ("done", True, None)
    assert actions_on(result, tuesday)[0]["status"] == "due"
    assert actions_on(result, tuesday)[0]["automatic"] is False
    # a manual mark wins over the logs
    svc.mark_occurrence(session, schedule_id=action.id, actor=world["actor"], date=MONDAY,
                        status="skipped", reason="double-check")
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=1,
                      today=tuesday)
    assert actions_on(result, MONDAY)[0]["status"] == "skipped"


def test_rotate_observe_photo_done_automatically(session, world):
    tr1, tr2, _ = world["trays"]
    p1, p2, p3, _ = world["plants"]
    every = {"kind": "interval", "every_days": 1}
    make(session, world, action_type="rotate", title="Rotate", rule=every,
         scope={"type": "tent", "ids": [world["tent"].id]})
    make(session, world, action_type="observe", title="Observe", rule=every,
         scope={"type": "plant", "ids": [p1.id, p3.id]})
    make(session, world, action_type="photo", title="Photo", rule=every,
         scope={"type": "plant", "ids": [p2.id]})
    make(session, world, action_type="water", title="Water", rule=every)
    session.add(RotationLog(tray_id=tr2.id, from_slot_id=world["tent"].slots[1].id,
                            to_slot_id=world["tent"].slots[2].id, moved_at=at(MONDAY)))
    session.add(PlantMetric(plant_id=p1.id, week_number=1, values={}, recorded_at=at(MONDAY)))
    session.add(PlantMetric(plant_id=p3.id, week_number=1, values={},
                            recorded_at=at(MONDAY, 21)))
    session.add(Photo(plant_id=p2.id, file_path="a.jpg", thumb_path="a_t.jpg",
                      created_at=at(MONDAY + timedelta(days=1))))
    session.flush()
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=2,
                      today=MONDAY + timedelta(days=2))
    monday = {a["title"]: a["status"] for a in actions_on(result, MONDAY)}
    tuesday = {a["title"]: a["status"] for a in actions_on(result, MONDAY + timedelta(days=1))}
    assert monday == {"Rotate": "done", "Observe": "done", "Photo": "overdue",
                      "Water": "overdue"}
    assert tuesday == {"Rotate": "overdue", "Observe": "overdue", "Photo": "done",
                       "Water": "overdue"}


def test_blockers(session, world):
    tr1, tr2, tr3 = world["trays"]
    p1, p2, p3, p4 = world["plants"]
    every = {"kind": "interval", "every_days": 1}
    make(session, world, action_type="feed", title="Feed all", rule=every,
         scope={"type": "plant", "ids": [p1.id, p3.id, p4.id]})
    make(session, world, action_type="feed", title="Feed TR1", rule=every,
         scope={"type": "tray", "ids": [tr1.id]})
    make(session, world, action_type="rotate", title="Rotate TR3", rule=every,
         scope={"type": "tray", "ids": [tr3.id]})
    make(session, world, action_type="feed", title="Feed empty", rule=every,
         scope={"type": "tray", "ids": [tr3.id]})
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=1,
                      today=MONDAY)
    blockers = {a["title"]: a["blockers"] for a in actions_on(result, MONDAY)}
    assert blockers == {"Feed all": ["1 plant not placed", "Needs tray recipe"],
                        "Feed TR1": [], "Feed empty": ["No active plants in scope"],
                        "Rotate TR3": ["No trays in slots"]}
    world["exp"].status = "stopped"
    session.flush()
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=1,
                      today=MONDAY)
    assert all(a["blockers"][0] == "Experiment is not running"
               for a in actions_on(result, MONDAY))


def test_plan_validation_and_empty(session, world):
    with pytest.raises(Invalid):
        svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=0)
    with pytest.raises(Invalid):
        svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=63)
    with pytest.raises(Invalid):
        svc.plan(session, experiment_id=world["exp"].id, start=date(9999, 12, 30), days=5)
    with pytest.raises(NotFound):
        svc.plan(session, experiment_id=999999, start=MONDAY)
    result = svc.plan(session, experiment_id=world["exp"].id, start=MONDAY, days=3)
    assert result == {"days": [{"date": (MONDAY + timedelta(days=i)).isoformat(), "groups": []}
                               for i in range(3)]}


def test_due_today_count(session, world):
    every = {"kind": "interval", "every_days": 1}
    a = make(session, world, title="A", rule=every)
    make(session, world, title="B", rule=every)
    make(session, world, title="Not today", rule={"kind": "weekly", "weekdays": [3]})
    assert svc.due_today_count(session, world["exp"].id, MONDAY) == 2
    svc.mark_occurrence(session, schedule_id=a.id, actor=world["actor"], date=MONDAY,
                        status="done")
    assert svc.due_today_count(session, world["exp"].id, today=MONDAY) == 1


def _fleet(session, world, n: int) -> None:
    """n schedules of every action type over every scope type, with logs and marks."""
    p1, p2, p3 = world["plants"][:3]
    scopes = [{"type": "tent", "ids": [world["tent"].id]},
              {"type": "tray", "ids": [t.id for t in world["trays"]]},
              {"type": "plant", "ids": [p1.id, p2.id, p3.id]}]
    types = ["feed", "rotate", "observe", "photo", "water", "custom"]
    for i in range(n):
        action = make(session, world, title=f"S{i}", action_type=types[i % len(types)],
                      scope=scopes[i % len(scopes)],
                      rule={"kind": "interval", "every_days": 1 + i % 3},
                      timeframe=None if i % 4 == 0 else "evening",
                      exact_time=f"{6 + i % 12:02d}:00" if i % 4 == 0 else None)
        svc.mark_occurrence(session, schedule_id=action.id, actor=world["actor"],
                            date=MONDAY, status="done")
    for i, plant in enumerate((p1, p2, p3)):
        session.add(FeedingLog(plant_id=plant.id, recipe_id=world["recipe"].id,
                               status="fed", fed_at=at(MONDAY + timedelta(days=i + n))))
        session.add(PlantMetric(plant_id=plant.id, week_number=n + i, values={},
                                recorded_at=at(MONDAY + timedelta(days=i))))
    session.commit()


def test_plan_uses_a_fixed_number_of_statements(session, connection, world):
    counts = []
    for n in (2, 20):
        world_n = world
        if counts:  # a fresh experiment with the same shape for the second run
            exp = f.make_experiment(session, status="running")
            tent = f.make_tent(session, exp, positions=3)
            recipe = f.make_recipe(session, exp, "R1")
            trays = [f.make_tray(session, exp, f"TR{i}", slot=tent.slots[i - 1],
                                 recipe=recipe) for i in (1, 2, 3)]
            plants = [f.make_plant(session, exp, code=f"VFT-{i:03d}", tray=trays[i % 3])
                      for i in range(1, 41)]
            world_n = {**world, "exp": exp, "tent": tent, "recipe": recipe, "trays": trays,
                       "plants": plants}
        _fleet(session, world_n, n)
        with count_statements(connection) as statements:
            result = svc.plan(session, experiment_id=world_n["exp"].id, start=MONDAY,
                              days=21, today=MONDAY + timedelta(days=5))
        assert sum(len(g["actions"]) for d in result["days"] for g in d["groups"]) > n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 14, counts
    print(f"plan: {counts[0]} statements")
