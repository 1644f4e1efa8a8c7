"""Tent page benchmark: a year of one-minute readings from 10 sensors in one tent
(5.26 million rows), hourly roll-ups built from them, then the tent page p50/p95 and its
SQL statement count and size. Target: p50 < 50 ms (the page reads a week of roll-ups, one
index range per quantity, and one index seek per quantity for "now", never the raw rows of
the window).

    python bench/environment.py            # SQLite in a temp file
    BENCH_DAYS=30 python bench/environment.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        python bench/environment.py
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.trial import settle  # noqa: E402
from growapp import create_app  # noqa: E402
from growapp.models import Reading, User, utcnow  # noqa: E402
from growapp.services.environment.alerts import set_range  # noqa: E402
from growapp.services.environment.units import QUANTITIES  # noqa: E402
from growapp.services.sessions import start_session  # noqa: E402

os.environ.setdefault("TEST_DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", ""))
from tests.helpers import factories as f  # noqa: E402
from tests.helpers.databases import fresh_database  # noqa: E402
from tests.helpers.settings import app_settings  # noqa: E402

DAYS = float(os.environ.get("BENCH_DAYS", "365"))
SENSORS = 10
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
BASE = {"temperature": 24, "humidity": 60, "ppfd": 300, "lux": 20000, "co2": 800, "ec": 1.5,
        "ph": 6.0}


def build(engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        user = f.make_user(s, role="operator", email="bench@example.com")
        exp = f.make_experiment(s, status="running")
        tent = f.make_tent(s, exp)
        set_range(s, tent_id=tent.id, quantity="temperature", low=20, high=27, actor=user)
        s.commit()
        tent_id, exp_id, user_id = tent.id, exp.id, user.id
    names = list(QUANTITIES)
    end = utcnow().replace(second=0, microsecond=0)
    minutes = int(DAYS * 24 * 60)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sensor in range(SENSORS):
            q = names[sensor % len(names)]
            rows = []
            for m in range(minutes):
                at = end - timedelta(minutes=m)
                day = math.sin(at.hour / 24 * 2 * math.pi)
                rows.append({"tent_id": tent_id, "slot_id": None, "sensor": f"s{sensor}",
                             "quantity": q, "value": BASE[q] * (1 + 0.1 * day),
                             "at": at, "source": "mqtt", "batch_id": None})
                if len(rows) == 20000:
                    conn.execute(insert(Reading), rows)
                    rows = []
            if rows:
                conn.execute(insert(Reading), rows)
        hour = ("strftime('%Y-%m-%d %H:00:00.000000', at)" if engine.dialect.name == "sqlite"
                else "date_trunc('hour', at)")
        conn.execute(text(f"INSERT INTO reading_hours (tent_id, quantity, hour, n, total, "
                          f"min, max) SELECT tent_id, quantity, {hour}, count(*), sum(value), "
                          f"min(value), max(value) FROM readings GROUP BY 1, 2, 3"))
    print(f"{SENSORS * minutes:,} readings + roll-ups in {time.perf_counter() - t0:.0f} s",
          flush=True)
    return tent_id, exp_id, user_id


def time_page(engine, client, path: str, label: str) -> None:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    times, cpu = [], []
    for i in range(RUNS + 3):
        statements.clear()
        t, c = time.perf_counter(), time.process_time()
        resp = client.get(path)
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        assert resp.status_code == 200, resp.status_code
    event.remove(engine, "before_cursor_execute", count)
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(f"tent page ({engine.dialect.name}, {DAYS:g} days × {SENSORS} sensors, {label}): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU p50 {statistics.median(cpu):.1f} ms: "
          f"what a shared machine's load does not inflate), {len(statements)} SQL statements, "
          f"{len(resp.data):,} bytes — target p50 < 50 ms: {'OK' if p50 < 50 else 'MISSED'}",
          flush=True)


def main() -> None:
    url, drop = fresh_database("benchenv")
    try:
        app = create_app(app_settings(url, JOBS_BACKEND="inline"))
        engine = app.extensions["growapp_db"].engine
        tent_id, exp_id, user_id = build(engine)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        client = app.test_client()
        with Session(engine) as s:  # a server-side session, as signing in makes
            _row, token = start_session(s, user=s.get(User, user_id), user_agent="bench",
                                        ip="127.0.0.1", remember=False)
            s.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
        path = f"/experiments/{exp_id}/tents/{tent_id}/environment"
        time_page(engine, client, path, "just after the bulk load")
        t0 = time.perf_counter()
        settle(engine)
        print(f"vacuumed / checkpointed in {time.perf_counter() - t0:.0f} s", flush=True)
        time_page(engine, client, path, "settled")
    finally:
        drop()


if __name__ == "__main__":
    main()
