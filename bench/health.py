"""/healthz while label sheets render: p50/p95/max of /healthz (sampled every 100 ms) while
RENDERS concurrent label prints of the demo trial (120 plants × 10 copies = 1,200 labels,
a background job each) run on gunicorn -w 2 --threads 4, the production setup
(BENCH_WORKERS, BENCH_THREADS change it).

    python bench/health.py                 # SQLite in a temp folder
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/health.py
    RENDERS=8 python bench/health.py
    RENDERS=0 GROWAPP_PDF_CONCURRENCY=4 BENCH_WORKERS=1 BENCH_THREADS=8 python bench/health.py
        # downloads only: 4 renders at once for one web worker (the GIL's worst case)

Prints are started with POST /api/v1/experiments/{id}/labels/jobs (as the labels page
does) and followed at GET /api/v1/jobs/{id}; the renders run in the job pool's worker
processes, never in a web worker. Then DOWNLOADS (8) clients, each its own user, GET
labels.pdf (one tray × 10 copies: up to 100 labels, rendered in a render process while the
request waits) over and over for DOWNLOAD_SECONDS (20): at most GROWAPP_PDF_CONCURRENCY
(default 1) render at once on the server, the rest get 503 + Retry-After at once; the
status counts are printed with /healthz. RENDERS=0 skips the jobs.
Target: /healthz p95 under 0.5 s in both phases. A measurement, not a test: the machine's
other load moves the numbers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEST_DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", ""))

from tests.helpers.databases import fresh_database  # noqa: E402
from tests.helpers.servers import free_port, stop, wait_for_http  # noqa: E402

RENDERS = int(os.environ.get("RENDERS", "8"))
USERS = 4  # label jobs are limited per user: spread the prints over a few
DOWNLOADS = int(os.environ.get("DOWNLOADS", "8"))
DOWNLOAD_SECONDS = float(os.environ.get("DOWNLOAD_SECONDS", "20"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")  # gunicorn -w
THREADS = os.environ.get("BENCH_THREADS", "4")  # gunicorn --threads


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "growapp", *args],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _call(url: str, token: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read() or b"{}")


def main() -> None:
    url, drop = fresh_database("health")
    work = Path(tempfile.mkdtemp(prefix="growapp-bench-health-"))
    port = free_port()
    env = {**os.environ, "GROWAPP_DATABASE_URL": url, "GROWAPP_UPLOAD_DIR": str(work / "up"),
           "GROWAPP_INSTANCE_DIR": str(work), "GROWAPP_SECRET_KEY": "bench"}
    _flask(env, "seed-demo")
    tokens = [_flask(env, "create-token", "--email", "admin@example.com", "--name", "b0")]
    for i in range(1, max(USERS, DOWNLOADS)):
        email = f"bench{i}@example.com"
        _flask(env, "create-admin", "--email", email, "--password", "bench password 123")
        tokens.append(_flask(env, "create-token", "--email", email, "--name", f"b{i}"))
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", WORKERS,
         "--threads", THREADS,
         "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", timeout=60, proc=server)
        exp = _call(f"{base}/api/v1/experiments", tokens[0])["results"][0]["id"]
        if RENDERS > 0:
            _jobs(base, exp, tokens[:USERS])
        _downloads(base, exp, tokens[:DOWNLOADS])
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} cores")
    finally:
        stop(server)
        _kill_group(server.pid)  # workers and their render/job processes left behind
        drop()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _jobs(base: str, exp: int, tokens: list[str]) -> None:
    """RENDERS label jobs of the whole trial × 10 copies, /healthz sampled meanwhile."""
    samples: list[float] = []
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.is_set():
            start = time.perf_counter()
            with urllib.request.urlopen(f"{base}/healthz", timeout=120) as resp:
                resp.read()
            samples.append(time.perf_counter() - start)
            stop_sampling.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    jobs = [_call(f"{base}/api/v1/experiments/{exp}/labels/jobs", tokens[i % USERS],
                  {"copies": 10})["id"] for i in range(RENDERS)]
    pending = {job: tokens[i % USERS] for i, job in enumerate(jobs)}
    while pending:
        for job, token in list(pending.items()):
            if _call(f"{base}/api/v1/jobs/{job}", token)["status"] in ("done", "failed"):
                del pending[job]
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    stop_sampling.set()
    sampler.join(120)
    print(f"{RENDERS} prints of 1,200 labels done in {elapsed:.1f} s; /healthz "
          f"{_summary(samples)}")


def _summary(samples: list[float]) -> str:
    if len(samples) < 2:  # /healthz hardly answered at all
        return (f"only {len(samples)} sample(s) answered, slowest "
                f"{max(samples or [0]) * 1000:.0f} ms (target p95 < 500 ms)")
    q = statistics.quantiles(samples, n=20)
    return (f"over {len(samples)} samples: p50 {statistics.median(samples) * 1000:.0f} ms, "
            f"p95 {q[18] * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms (target p95 < "
            "500 ms)")


def _downloads(base: str, exp: int, tokens: list[str]) -> None:
    """Concurrent GET labels.pdf (100 labels each) for DOWNLOAD_SECONDS, /healthz sampled."""
    url = f"{base}/api/v1/experiments/{exp}/labels.pdf?tray=TR1&copies=10"
    statuses: dict[int, int] = {}
    renders: list[float] = []
    samples: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + DOWNLOAD_SECONDS

    def client(token: str) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(req, timeout=120) as resp:
                    resp.read()
                    code = resp.status
            except urllib.error.HTTPError as exc:
                code = exc.code
                retry = float(exc.headers.get("Retry-After") or 0)
            except OSError:  # refused or reset: counted as 0
                code, retry = 0, 1.0
            took = time.perf_counter() - start
            with lock:
                statuses[code] = statuses.get(code, 0) + 1
                if code == 200:
                    renders.append(took)
            if code != 200:
                time.sleep(min(retry, 1.0))  # a polite client, faster than Retry-After

    def sample() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            with urllib.request.urlopen(f"{base}/healthz", timeout=120) as resp:
                resp.read()
            samples.append(time.perf_counter() - start)
            time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in tokens]
    threads.append(threading.Thread(target=sample, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(DOWNLOAD_SECONDS + 180)
    codes = ", ".join(f"{n} × {code}" for code, n in sorted(statuses.items()))
    print(f"{len(tokens)} clients downloading 100-label PDFs for {DOWNLOAD_SECONDS:.0f} s: "
          f"{codes}; a render took p50 {statistics.median(renders or [0]) * 1000:.0f} ms; "
          f"/healthz {_summary(samples)}")


if __name__ == "__main__":
    main()
