"""Server-time and wire-size benchmark at several trial sizes, on SQLite and PostgreSQL.

    python bench/run.py --plants 100,1000,5000 [--engines sqlite,postgresql]

Each size is a fresh trial (10 tents × 10 trays, capacity plants/100; two thirds measured,
placed at random; then started, one plant given 500 feedings and 500 events). Every engine's
trial of every size is built first, then each page is measured on all of them together,
one request to each in turn, so that ratios compare requests made moments apart. Per page it
prints p50/p95 server time (Flask test client), SQL statements, and the bytes sent to a
client that accepts brotli (``KB br``) next to the uncompressed size. PostgreSQL: the server in
BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/growapp_bench); a
fresh database is created there and dropped afterwards. `make bench` runs it.

Targets (issue 13, 2-core machine): every listed page at 5,000 plants within 2× of its time at
100 plants and ≤ 100 KB compressed; PostgreSQL within 1.3× of SQLite; the cockpit ≤ 5 ms,
≤ 12 statements, ≤ 25 KB.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.trial import build_trial, settle  # noqa: E402
from growapp import create_app  # noqa: E402
from growapp.labels.pdf import _warm_up  # noqa: E402
from growapp.labels.render_process import render_pool  # noqa: E402
from growapp.models import User  # noqa: E402
from growapp.services import metrics, placement  # noqa: E402
from growapp.services.sessions import start_session  # noqa: E402
from tests.helpers.databases import fresh_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/growapp_bench"
ACCEPT = {"Accept-Encoding": "br, gzip"}


def build(app, plants_total: int) -> tuple[int, int]:
    with Session(app.extensions["growapp_db"].engine) as s:
        exp, admin, made = build_trial(s, plants_total=plants_total)
        for i, plant in enumerate(made):
            if i % 3:  # two thirds measured and graded, the rest still in the queue
                metrics.record_metrics(s, plant_uuid=plant.uuid, week_number=0,
                                       values={"vigour": 3, "leaf_count": 6}, grade="AB"[i % 2],
                                       actor=admin)
        placement.auto_place(s, experiment_id=exp.id, actor=admin, mode="randomized", seed=1)
        s.commit()
        return exp.id, admin.id


def start_trial(app, exp_id: int, admin_id: int) -> tuple[str, str]:
    """Finish the baseline, start, give one plant a long history and measure week 2 for the
    first half of the plants (a round half done); returns that plant's uuid and the code of
    the last plant measured."""
    from datetime import timedelta

    from growapp.models import Event, FeedingLog, Plant, PlantMetric, utcnow
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
        codes = list(s.execute(select(Plant.id, Plant.plant_code).where(
            Plant.experiment_id == exp_id).order_by(Plant.plant_code)))
        half = codes[:len(codes) // 2]
        s.add_all(PlantMetric(plant_id=pid, week_number=2, values={"vigour": 3})
                  for pid, _code in half)
        s.commit()
        return str(busy.uuid), half[-1][1]


def measure_posts(client, urls: list[str]) -> tuple[float, float]:
    times = []
    for url in urls:
        start = time.perf_counter()
        resp = client.post(url, data={"status": "fed"})
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code in (200, 303), (url, resp.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def _note(statements: list, _conn, _cursor, statement, *_rest) -> None:
    statements.append(statement)


def measure_together(targets: list[tuple]) -> list[tuple]:
    """One page on several trials, ``targets`` = [(client, url, engine)], a request to each
    in turn RUNS times (so every trial meets the machine in the same state: on this VM a
    page's time drifts by half within a minute). Per target: p50, p95 (ms), statements,
    median CPU ms, bytes sent (br), bytes uncompressed."""
    for client, url, _engine in targets:
        for _ in range(3):  # warm-up
            client.get(url, headers=ACCEPT)
    times = [[] for _ in targets]
    cpu = [[] for _ in targets]
    for _ in range(RUNS):
        for i, (client, url, _engine) in enumerate(targets):
            start, start_cpu = time.perf_counter(), time.process_time()
            resp = client.get(url, headers=ACCEPT)
            times[i].append((time.perf_counter() - start) * 1000)
            cpu[i].append((time.process_time() - start_cpu) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
    out = []
    for i, (client, url, engine) in enumerate(targets):
        statements: list[str] = []
        count = partial(_note, statements)
        sent = len(client.get(url, headers=ACCEPT).get_data())
        raw = len(client.get(url).get_data())
        event.listen(engine, "before_cursor_execute", count)
        client.get(url, headers=ACCEPT)
        event.remove(engine, "before_cursor_execute", count)
        ts = sorted(times[i])
        out.append((statistics.median(ts), ts[max(int(len(ts) * 0.95) - 1, 0)],
                    len(statements), statistics.median(cpu[i]), sent, raw))
    return out


@dataclass
class Trial:
    """One engine's trial of one size, built and signed in, ready to be measured."""

    engine_name: str
    plants: int
    app: object
    client: object
    exp_id: int
    admin_id: int
    drop: object
    busy: str = ""
    round_after: str = ""

    @property
    def engine(self):
        return self.app.extensions["growapp_db"].engine


def build_size(engine_name: str, base_url: str, plants_total: int) -> Trial:
    """A fresh database with one trial of ``plants_total`` plants, and a signed-in client."""
    os.environ["TEST_DATABASE_URL"] = base_url
    url, drop = fresh_database("bench")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": False,
                      "WTF_CSRF_ENABLED": False})
    engine = app.extensions["growapp_db"].engine
    t0 = time.perf_counter()
    exp_id, admin_id = build(app, plants_total)
    settle(engine)
    print(f"# built {plants_total:,} plants in {time.perf_counter() - t0:.1f} s on "
          f"{engine.dialect.name}", flush=True)
    client = app.test_client()
    with Session(engine) as s:
        _row, token = start_session(s, user=s.get(User, admin_id), user_agent="bench",
                                    ip="127.0.0.1", remember=False)
        s.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return Trial(engine_name, plants_total, app, client, exp_id, admin_id, drop)


def before_start(t: Trial) -> list[tuple[str, str]]:
    e = f"/experiments/{t.exp_id}"
    return [("overview", f"{e}/overview"),
            ("overview ?filter=needs_baseline", f"{e}/overview?filter=needs_baseline"),
            ("overview ?filter=needs_grade", f"{e}/overview?filter=needs_grade"),
            ("overview ?q=VFT-01", f"{e}/overview?q=VFT-01"),
            ("baseline queue", f"{e}/baseline"),
            ("placement", f"{e}/placement"),
            ("placement ?q=VFT-01", f"{e}/placement?q=VFT-01"),
            ("labels selection", f"{e}/labels"),
            ("labels tick list (page 1)", f"{e}/labels/plants"),
            ("trays", f"{e}/trays"),
            ("api status summary", f"/api/v1/experiments/{t.exp_id}/status/summary"),
            ("api plants (100)", f"/api/v1/experiments/{t.exp_id}/plants?limit=100")]


def after_start(t: Trial) -> list[tuple[str, str]]:
    e = f"/experiments/{t.exp_id}"
    return [("cockpit (500-event plant)", f"/p/{t.busy}"),
            ("api cockpit", f"/api/v1/plants/{t.busy}/cockpit"),
            ("feeding queue (all due)", f"{e}/feeding"),
            ("weekly round", f"{e}/observe?week=1"),
            ("weekly round half done, next", f"{e}/observe?week=2&after={t.round_after}"),
            ("weekly round half done, opened", f"{e}/observe?week=2"),
            ("api feeding queue", f"/api/v1/experiments/{t.exp_id}/feeding/queue")]


def measure_interleaved(trials: list[Trial], pages, results: dict) -> None:
    """Page by page, on every trial together (each engine and size request by request), so
    that a machine that slows down for a while skews no ratio."""
    for index in range(len(pages(trials[0]))):
        name = pages(trials[0])[index][0]
        figures = measure_together([(t.client, pages(t)[index][1], t.engine) for t in trials])
        for t, f in zip(trials, figures, strict=True):
            results[t.engine_name][t.plants][name] = f


def run_all(engines: list[str], sizes: list[int]) -> dict:
    """Build every (engine, size) trial, then measure: {engine: {size: {page: figures}}}."""
    trials = []
    results: dict = {e: {n: {} for n in sizes} for e in engines}
    try:
        for n in sizes:
            for engine_name in engines:
                base = "" if engine_name == "sqlite" else os.environ.get(
                    "BENCH_DATABASE_URL", PG_DEFAULT)
                trials.append(build_size(engine_name, base, n))
        # The labels page starts a render process (WeasyPrint's import: a second or two of
        # CPU): started and finished here, it does not run beside the pages measured.
        render_pool(1).submit(_warm_up).result()
        freeze = os.environ.get("BENCH_GC_FREEZE", "1") == "1"
        if freeze:
            gc.collect()
            gc.freeze()  # what wsgi.py does after start-up: the long-lived heap leaves GC scans
        measure_interleaved(trials, before_start, results)
        for t in trials:
            t.busy, t.round_after = start_trial(t.app, t.exp_id, t.admin_id)
            settle(t.engine)
        measure_interleaved(trials, after_start, results)
        for t in trials:  # scan after scan on one server: the cockpit target's figure
            results[t.engine_name][t.plants][ALONE] = measure_together(
                [(t.client, f"/p/{t.busy}", t.engine)])[0]
        for t in trials:
            with Session(t.engine) as s:
                from growapp.models import Plant

                uuids = [str(u) for u in s.scalars(select(Plant.uuid).where(
                    Plant.experiment_id == t.exp_id).order_by(Plant.plant_code)
                    .offset(1).limit(RUNS))]
            results[t.engine_name][t.plants]["feed POST (plain form, 303)"] = measure_posts(
                t.client, [f"/p/{u}/feed" for u in uuids])
        if freeze:
            gc.unfreeze()
    finally:
        for t in trials:
            t.engine.dispose()
            t.drop()
    return results


def print_table(engine_name: str, sizes: list[int], by_size: dict[int, dict]) -> None:
    print(f"\n## {engine_name}: p50 / p95 ms · SQL · KB sent (br) / KB uncompressed")
    head = f"{'page':32}" + "".join(f" | {n:>6,} plants{'':18}" for n in sizes)
    if len(sizes) > 1:
        head += f" | {sizes[-1]}/{sizes[0]}"
    print(head)
    for page in by_size[sizes[0]]:
        line = f"{page:32}"
        for n in sizes:
            r = by_size[n].get(page)
            if r is None:
                line += f" | {'':31}"
            elif len(r) == 2:
                line += f" | {r[0]:6.1f} {r[1]:6.1f} {'':17}"
            else:
                line += (f" | {r[0]:6.1f} {r[1]:6.1f} {r[2]:3d} "
                         f"{r[4] / 1024:6.1f} {r[5] / 1024:6.1f}")
        if len(sizes) > 1:
            first, last = by_size[sizes[0]][page][0], by_size[sizes[-1]][page][0]
            line += f" | {last / first:4.2f}×"
        print(line, flush=True)


def print_cpu(engine_name: str, sizes: list[int], by_size: dict[int, dict]) -> None:
    """Median CPU ms of the serving process per page: less disturbed by other processes on
    a shared machine than wall time (it still counts cache and frequency effects)."""
    print(f"\n## {engine_name}: p50 CPU ms of the server process")
    print(f"{'page':32}" + "".join(f" | {n:>7,}" for n in sizes)
          + (f" | {sizes[-1]}/{sizes[0]}" if len(sizes) > 1 else ""))
    for page in by_size[sizes[0]]:
        if len(by_size[sizes[0]][page]) == 2:
            continue
        line = f"{page:32}" + "".join(f" | {by_size[n][page][3]:7.1f}" for n in sizes)
        if len(sizes) > 1:
            line += f" | {by_size[sizes[-1]][page][3] / by_size[sizes[0]][page][3]:4.2f}×"
        print(line)


ALONE = "cockpit alone (scan after scan)"
LISTS = ("overview", "feeding queue (all due)", "placement", "weekly round", "baseline queue",
         "labels selection")


def check_targets(all_results: dict, sizes: list[int]) -> None:
    """Issue 13's targets, page by page: MISS lines say what and by how much."""
    print("\n## issue 13 targets (p50 wall; CPU in brackets)")
    small, big = sizes[0], sizes[-1]
    for engine, by_size in all_results.items():
        for page in LISTS:
            a, b = by_size[small][page], by_size[big][page]
            ratio, cpu_ratio, kb = b[0] / a[0], b[3] / a[3], b[4] / 1024
            ok = ratio <= 2 and kb <= 100
            print(f"{'ok  ' if ok else 'MISS'} {engine:10} {page:26} {big}/{small}: "
                  f"{ratio:4.2f}× ({cpu_ratio:4.2f}×) ≤ 2×, {kb:5.1f} KB ≤ 100 KB")
        c = by_size[big][ALONE]
        ok = c[0] <= 5 and c[2] <= 12 and c[4] / 1024 <= 25
        print(f"{'ok  ' if ok else 'MISS'} {engine:10} cockpit alone at {big}: {c[0]:.1f} ms "
              f"({c[3]:.1f} CPU) ≤ 5 ms, {c[2]} statements ≤ 12, {c[4] / 1024:.1f} KB ≤ 25 KB")
    if "sqlite" in all_results and "postgresql" in all_results:
        lite, pg = all_results["sqlite"], all_results["postgresql"]
        worst = [(pg[n][p][0] / lite[n][p][0], n, p) for n in sizes for p in lite[n]]
        over = sorted((w for w in worst if w[0] > 1.3), reverse=True)
        print(f"{'ok  ' if not over else 'MISS'} PostgreSQL within 1.3× of SQLite: "
              + ("every page" if not over else "; ".join(
                  f"{p} at {n:,} {r:.2f}×" for r, n, p in over[:8])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", default="1000",
                        help="comma-separated trial sizes, e.g. 100,1000,5000")
    parser.add_argument("--engines", default="sqlite",
                        help="comma-separated: sqlite, postgresql")
    args = parser.parse_args()
    sizes = [int(n) for n in args.plants.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]
    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; "
          f"{RUNS} runs per page (Flask test client, server time; load average "
          f"{os.getloadavg()[0]:.1f} at start)")
    all_results = run_all(engines, sizes)
    for engine_name in engines:
        print_table(engine_name, sizes, all_results[engine_name])
        print_cpu(engine_name, sizes, all_results[engine_name])
    if "sqlite" in all_results and "postgresql" in all_results:
        print("\n## PostgreSQL / SQLite p50")
        print(f"{'page':32}" + "".join(f" | {n:>6,}" for n in sizes))
        lite, pg = all_results["sqlite"], all_results["postgresql"]
        for page in lite[sizes[0]]:
            print(f"{page:32}" + "".join(f" | {pg[n][page][0] / lite[n][page][0]:5.2f}×"
                                         for n in sizes))
    if len(sizes) > 1:
        check_targets(all_results, sizes)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
