"""Two app servers, one database, one object store: what a second server needs.

Starts everything itself: a moto S3 server, two gunicorn processes (each with its own empty
instance and upload folder, so nothing can be shared through the local disk), and, for the
label job, a worker when Redis answers on 127.0.0.1:6379. The database is the test engine:
PostgreSQL when TEST_DATABASE_URL points at one, else one SQLite file both servers open.
Every wait has a timeout; every process is stopped at the end.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from PIL import Image
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from growapp import create_app
from growapp.config import ROOT
from growapp.extensions import make_engine
from growapp.services.labels.sheet_templates import ensure_label_templates
from growapp.services.presets import ensure_presets
from growapp.services.users import create_api_token
from tests.helpers import factories, s3
from tests.helpers.databases import fresh_database
from tests.helpers.images import files_under, jpeg_bytes
from tests.helpers.servers import (
    HttpClient,
    free_port,
    hidden_csrf_token,
    port_open,
    stop,
    tail,
    wait_for_http,
)
from tests.helpers.settings import SECRET, app_settings

pytestmark = pytest.mark.two_servers

BOOT_TIMEOUT = 90  # gunicorn imports the whole app (WeasyPrint included) on 2 busy cores
JOB_TIMEOUT = 120


def _app_routes() -> tuple[set[tuple[str, str]], set[str]]:
    app = create_app(app_settings("sqlite://"))
    routes = {(rule.rule, method) for rule in app.url_map.iter_rules()
              for method in rule.methods or ()}
    return routes, set(app.cli.commands)


ROUTES, COMMANDS = _app_routes()
HAS_LABEL_JOBS = ("/api/v1/experiments/<int:experiment_id>/labels/jobs", "POST") in ROUTES
REDIS = port_open("127.0.0.1", 6379)


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self.servers: list[str] = []
        self.folders: list[Path] = []
        self.env: dict[str, str] = {}

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{tail(log)}" for _proc, log in self.procs)

    def close(self) -> None:
        for proc, _log in self.procs:
            stop(proc)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two-servers")
    url, drop = fresh_database("two")
    engine = make_engine(url)
    with Session(engine) as session:
        ensure_presets(session)
        ensure_label_templates(session)
        user = factories.make_user(session, "operator")
        exp = factories.make_experiment(session, status="running")
        plants = [factories.make_plant(session, exp) for _ in range(3)]
        _token, raw_token = create_api_token(session, user=user, name="two-servers")
        session.commit()
        seeded = {"email": user.email, "experiment_id": exp.id, "token": raw_token,
                  "plant_uuid": str(plants[0].uuid)}
    engine.dispose()

    st = Stack(tmp)
    with s3.moto_server(tmp / "moto.log") as endpoint:
        bucket = s3.new_bucket(endpoint)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GROWAPP_", "AWS_", "TEST_DATABASE"))}
        env.update(s3.CREDENTIALS)
        env.update({
            "PYTHONPATH": str(ROOT), "GROWAPP_ENV": "development",
            "GROWAPP_SECRET_KEY": SECRET, "GROWAPP_DATABASE_URL": url,
            "PUBLIC_BASE_URL": "https://growapp.example.org",
            "GROWAPP_STORAGE": "s3", "GROWAPP_S3_BUCKET": bucket,
            "GROWAPP_S3_ENDPOINT_URL": endpoint, "GROWAPP_S3_REGION": s3.REGION,
            "GROWAPP_S3_PREFIX": "two-servers",
        })
        if REDIS:  # a database of its own, so other runs' queues are not ours
            env["GROWAPP_REDIS_URL"] = f"redis://127.0.0.1:6379/{random.randint(8, 15)}"
        try:
            starting = []
            for name in ("a", "b"):
                folder = tmp / f"server-{name}"
                (folder / "uploads").mkdir(parents=True)
                st.folders.append(folder)
                st.env = {**env, "GROWAPP_INSTANCE_DIR": str(folder),
                          "GROWAPP_UPLOAD_DIR": str(folder / "uploads")}
                port = free_port()
                proc = st.start(f"gunicorn-{name}", [
                    sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
                    "--bind", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"])
                starting.append((proc, f"http://127.0.0.1:{port}"))
            if REDIS and "worker" in COMMANDS:
                worker_dir = tmp / "worker"
                (worker_dir / "uploads").mkdir(parents=True)
                st.folders.append(worker_dir)
                st.env = {**env, "GROWAPP_INSTANCE_DIR": str(worker_dir),
                          "GROWAPP_UPLOAD_DIR": str(worker_dir / "uploads")}
                st.start("worker", [sys.executable, "-m", "flask", "--app", "growapp",
                                    "worker"])
            for proc, base in starting:
                wait_for_http(f"{base}/healthz", timeout=BOOT_TIMEOUT, proc=proc)
                st.servers.append(base)
        except BaseException:
            print(st.logs())
            st.close()
            drop()
            raise
        st.seeded = seeded
        st.bucket_client, st.bucket = s3.s3_client(endpoint), bucket
        try:
            yield st
        finally:
            st.close()
            drop()


@pytest.fixture
def signed_in(stack):
    """A browser-like client signed in through server A (its cookie works on B too)."""
    a, _b = stack.servers
    client = HttpClient()
    page = client.get(f"{a}/login")
    assert page.status == 200
    form = urlencode({"csrf_token": hidden_csrf_token(page.body),
                      "email": stack.seeded["email"], "password": factories.PASSWORD})
    done = client.post(f"{a}/login", data=form.encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status == 200 and "/login" not in done.url, stack.logs()
    return client


def test_a_photo_uploaded_to_a_is_served_by_b(stack, signed_in):
    """The operator's phone uploads through the cockpit on A (session cookie + CSRF token
    from A); B lists the photo and serves the same re-encoded bytes."""
    a, b = stack.servers
    started = time.monotonic()
    plant = stack.seeded["plant_uuid"]
    cockpit = signed_in.get(f"{a}/p/{plant}")
    assert cockpit.status == 200, stack.logs()
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', cockpit.body).group(1)
    boundary, body = encode_multipart({
        "csrf_token": hidden_csrf_token(cockpit.body), "idempotency_key": key.decode(),
        "caption": "from server A",
        "file": FileStorage(io.BytesIO(jpeg_bytes()), "leaf.jpg", content_type="image/jpeg")})
    saved = signed_in.post(f"{a}/p/{plant}/photo", data=body,
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert saved.status == 200 and saved.url.endswith(f"/p/{plant}"), stack.logs()

    listed = signed_in.get(f"{b}/api/v1/plants/{plant}/photos")
    assert listed.status == 200, (listed.body[:500], stack.logs())
    [photo] = json.loads(listed.body)["results"]
    assert photo["caption"] == "from server A"

    from_b = signed_in.get(f"{b}{photo['url']}")  # the session cookie from signing in on A
    assert from_b.status == 200, stack.logs()
    assert from_b.content_type == "image/jpeg"
    assert "private" in from_b.headers["cache-control"]
    from_a = signed_in.get(f"{a}{photo['url']}")
    assert from_b.body == from_a.body and len(from_b.body) == photo["size_bytes"]
    assert Image.open(io.BytesIO(from_b.body)).size == (photo["width"], photo["height"])
    thumb = signed_in.get(f"{b}{photo['thumb_url']}")
    assert thumb.status == 200 and max(Image.open(io.BytesIO(thumb.body)).size) == 320

    # Nothing reached either server's own disk: the bucket holds both files.
    assert all(files_under(folder / "uploads") == set() for folder in stack.folders)
    keys = {o["Key"] for o in stack.bucket_client.list_objects_v2(
        Bucket=stack.bucket, Prefix="two-servers/photos/")["Contents"]}
    assert len(keys) == 2
    print(f"photo A → B in {time.monotonic() - started:.2f} s")


@pytest.mark.skipif(not HAS_LABEL_JOBS,
                    reason="POST /api/v1/experiments/<id>/labels/jobs is not in the app yet "
                           "(label jobs on the queue: branch jobs)")
def test_a_label_job_started_on_a_is_downloaded_from_b(stack):
    a, b = stack.servers
    client = HttpClient()
    token = {"Authorization": f"Bearer {stack.seeded['token']}"}
    started = client.post(
        f"{a}/api/v1/experiments/{stack.seeded['experiment_id']}/labels/jobs",
        data=json.dumps({"template": "avery-5160", "plants": "all"}).encode(),
        headers={**token, "Content-Type": "application/json"})
    assert started.status == 202, (started.body[:500], stack.logs())
    job = json.loads(started.body)
    assert {"id", "kind", "status", "progress"} <= set(job) and job["kind"] == "labels"

    deadline = time.monotonic() + JOB_TIMEOUT
    while job["status"] != "done":
        assert job["status"] in ("queued", "running"), (job, stack.logs())
        assert time.monotonic() < deadline, f"job not done in {JOB_TIMEOUT} s: {job}"
        time.sleep(0.5)
        polled = client.get(f"{a}/api/v1/jobs/{job['id']}", headers=token)
        assert polled.status == 200, polled.body[:500]
        job = json.loads(polled.body)

    where = urlsplit(job["download_url"])  # may be absolute (PUBLIC_BASE_URL): ask B
    path = where.path + (f"?{where.query}" if where.query else "")
    pdf = client.get(f"{b}{path}", headers=token)
    assert pdf.status == 200, (pdf.body[:300], stack.logs())
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")
