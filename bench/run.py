"""Server-time benchmark: 1,000 plants (10 tents × 10 trays × 10 plants, 4 recipes).

Prints p50/p95 per page and the SQL statements each page costs. Not a test: run it with
`make bench` (SQLite in a temp file) or BENCH_DATABASE_URL=postgresql+psycopg://… (a fresh
database is created on that server and dropped afterwards).

Targets (2-core machine): overview p50 ≤ 30 ms, placement p50 ≤ 40 ms; once running:
cockpit p50 ≤ 10 ms and ≤ 10 SQL (a plant with 500 events), feed POST p50 ≤ 15 ms,
feeding queue of 1,000 plants ≤ 30 ms.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from growapp import create_app  # noqa: E402
from growapp.models import User  # noqa: E402
from growapp.services import metrics, placement  # noqa: E402
from growapp.services.sessions import start_session  # noqa: E402

os.environ.setdefault("TEST_DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", ""))
from bench.trial import build_trial  # noqa: E402
from tests.helpers.databases import fresh_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "40"))


def build(app) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        exp, admin, made = build_trial(s)
        for i, plant in enumerate(made):
            if i % 3:  # two thirds measured and graded, the rest still in the queue
                metrics.record_metrics(s, plant_uuid=plant.uuid, week_number=0,
                                       values={"vigour": 3, "leaf_count": 6}, grade="AB"[i % 2],
                                       actor=admin)
        placement.auto_place(s, experiment_id=exp.id, actor=admin, mode="randomized", seed=1)
        s.commit()
        return exp.id, admin.id


def start_trial(app, exp_id: int, admin_id: int) -> str:
    """Finish the baseline, start, and give one plant a long history; returns its uuid."""
    from datetime import timedelta

    from growapp.models import Event, FeedingLog, Plant, utcnow
    from growapp.services.experiments import start_experiment

    with Session(app.extensions["growapp_db"].engine) as s:
        admin = s.get(User, admin_id)
        for plant in metrics.baseline_queue(s, exp_id).plants:
            metrics.record_metrics(s, plant_uuid=plant.uuid, week_number=0,
                                   values={"vigour": 3}, grade="A", actor=admin)
        start_experiment(s, experiment_id=exp_id, actor=admin)
        busy = s.scalar(select(Plant).where(Plant.experiment_id == exp_id)
                        .order_by(Plant.plant_code))
        for i in range(500):
            s.add(FeedingLog(plant_id=busy.id, status="fed", user_id=admin_id,
                             fed_at=utcnow() - timedelta(days=8, hours=i)))
            s.add(Event(experiment_id=exp_id, plant_id=busy.id, kind="plant.noted",
                        summary=f"note {i}", user_id=admin_id))
        s.commit()
        return str(busy.uuid)


def measure_posts(client, urls: list[str]) -> tuple[float, float]:
    times = []
    for url in urls:
        start = time.perf_counter()
        resp = client.post(url, data={"status": "fed"})
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code in (200, 303), (url, resp.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def measure(client, url: str, engine) -> tuple[float, float, int]:
    statements = []

    def count(*_a):
        statements.append(1)

    client.get(url)  # warm-up
    times, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        resp = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    event.listen(engine, "before_cursor_execute", count)
    client.get(url)
    event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return (statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements),
            statistics.median(cpu))


def main() -> None:
    url, drop = fresh_database("bench")
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": False,
                          "WTF_CSRF_ENABLED": False})
        t0 = time.perf_counter()
        exp_id, admin_id = build(app)
        print(f"built 1,000 plants in {time.perf_counter() - t0:.1f} s on "
              f"{app.extensions['growapp_db'].engine.dialect.name}")
        if os.environ.get("BENCH_GC_FREEZE", "1") == "1":
            gc.collect()
            gc.freeze()  # what wsgi.py does after start-up: the long-lived heap leaves GC scans
        client = app.test_client()
        with Session(app.extensions["growapp_db"].engine) as s:
            _row, token = start_session(s, user=s.get(User, admin_id), user_agent="bench",
                                        ip="127.0.0.1", remember=False)
            s.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
        pages = [("overview", f"/experiments/{exp_id}/overview")]
        for flt in ("needs_baseline", "needs_grade", "needs_placement", "needs_tray_recipe",
                    "needs_tent_restriction", "removed"):
            pages.append((f"overview ?filter={flt}",
                          f"/experiments/{exp_id}/overview?filter={flt}"))
        pages += [("overview ?q=VFT-01", f"/experiments/{exp_id}/overview?q=VFT-01"),
                  ("baseline", f"/experiments/{exp_id}/baseline"),
                  ("placement", f"/experiments/{exp_id}/placement"),
                  ("trays", f"/experiments/{exp_id}/trays"),
                  ("api status summary", f"/api/v1/experiments/{exp_id}/status/summary"),
                  ("api plants (100)", f"/api/v1/experiments/{exp_id}/plants?limit=100")]
        engine = app.extensions["growapp_db"].engine
        cpu = platform.processor() or platform.machine()
        print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; "
              f"{RUNS} runs per page (Flask test client, server time)")
        print("p50/p95: wall-clock server time; cpu: median CPU time of this process (less "
              "sensitive to other load on a shared VM)")
        print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} {'cpu ms':>8}")
        for name, path in pages:
            p50, p95, n, cpu = measure(client, path, engine)
            print(f"{name:34} {p50:8.1f} {p95:8.1f} {n:5d} {cpu:8.1f}")
        busy = start_trial(app, exp_id, admin_id)
        print("-- running (one plant has 500 feedings and 500 events)")
        for name, path in [("cockpit (500-event plant)", f"/p/{busy}"),
                           ("api cockpit", f"/api/v1/plants/{busy}/cockpit"),
                           ("feeding queue (1,000 due)", f"/experiments/{exp_id}/feeding"),
                           ("api feeding queue", f"/api/v1/experiments/{exp_id}/feeding/queue")]:
            p50, p95, n, cpu = measure(client, path, engine)
            print(f"{name:34} {p50:8.1f} {p95:8.1f} {n:5d} {cpu:8.1f}")
        with Session(engine) as s:
            from growapp.models import Plant

            uuids = [str(u) for u in s.scalars(select(Plant.uuid).where(
                Plant.experiment_id == exp_id).order_by(Plant.plant_code).offset(1).limit(RUNS))]
        p50, p95 = measure_posts(client, [f"/p/{u}/feed" for u in uuids])
        print(f"{'feed POST (plain form, 303)':34} {p50:8.1f} {p95:8.1f}")
        engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
