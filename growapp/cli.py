"""Flask commands: db, create-admin, create-token, seed-demo, backup, restore, audit."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import make_url

from . import migrations_runner
from .extensions import db
from .services import users as user_service
from .services.audit import verify_chain
from .services.demo import DEMO_PASSWORD, seed_demo
from .services.errors import DomainError
from .services.labels.sheet_templates import ensure_label_templates
from .services.presets import ensure_presets


def _session():
    session = db.database.new_session()
    session.info["request_id"] = "cli"
    return session


def _sqlite_path() -> Path | None:
    url = make_url(current_app.config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


db_group = AppGroup("db", help="Database migrations (Alembic).")


@db_group.command("upgrade", help="Migrate to the newest revision, then load preset data.")
@click.option("--revision", default="head")
def db_upgrade(revision: str):
    path = _sqlite_path()
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
    migrations_runner.upgrade(current_app.config["DATABASE_URL"], revision)
    if revision == "head":
        with _session() as session:
            species, templates = ensure_presets(session)
            sheets = ensure_label_templates(session)
            session.commit()
        click.echo(f"Database at head. Presets added: {species} species, {templates} templates, "
                   f"{sheets} label sheets.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str):
    migrations_runner.downgrade(current_app.config["DATABASE_URL"], revision)


@db_group.command("current")
def db_current():
    with db.database.engine.connect() as conn:
        click.echo(migrations_runner.current_revision(conn) or "(empty database)")


@click.command("create-admin", help="Create the first admin (or another).")
@with_appcontext
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
def create_admin(email: str, password: str, name: str):
    with _session() as session:
        try:
            user = user_service.create_user(session, email=email, password=password,
                                            role="admin", display_name=name)
        except DomainError as exc:
            _fail(exc.detail + " " + " ".join(sum(getattr(exc, "errors", {}).values(), [])))
        session.commit()
        click.echo(f"Admin {user.email} created.")


@click.command("create-token", help="Create an API token; it is printed once.")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
def create_token(email: str, name: str):
    with _session() as session:
        user = user_service.get_user_by_email(session, email)
        if user is None:
            _fail(f"No user with email {email}.")
        try:
            _token, raw = user_service.create_api_token(session, user=user, name=name)
        except DomainError as exc:
            _fail(exc.detail)
        session.commit()
        click.echo(raw)


@click.command("seed-demo", help="Load the demo experiment and demo users.")
@with_appcontext
@click.option("--force", is_flag=True, help="Allow in production.")
def seed_demo_command(force: bool):
    if current_app.config["ENV"] == "production" and not force:
        _fail("seed-demo creates users with a known password; use --force in production.")
    with _session() as session:
        admin, experiment, created = seed_demo(session)
        session.commit()
    state = "created" if created else "already present"
    click.echo(f"Demo experiment {experiment.name!r} {state}.")
    click.echo(f"Demo admin: {admin.email}  password: {DEMO_PASSWORD}")
    click.echo("(also operator@example.com and viewer@example.com, same password)")


@click.command("seed-presets", help="Load preset species and metric templates.")
@with_appcontext
def seed_presets():
    with _session() as session:
        species, templates = ensure_presets(session)
        sheets = ensure_label_templates(session)
        session.commit()
    click.echo(f"Presets added: {species} species, {templates} templates, {sheets} label sheets.")


@click.command("backup", help="Online backup of the SQLite database to FILE.")
@with_appcontext
@click.argument("target", type=click.Path(dir_okay=False))
def backup(target: str):
    path = _sqlite_path()
    if path is None:
        _fail("backup copies SQLite databases. For PostgreSQL use: "
              "pg_dump --format=custom --file=growapp.dump \"$DATABASE\" (see README).")
    target_path = Path(target)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target_path)
    try:
        with dst:
            src.backup(dst)
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if ok != "ok":
        _fail(f"backup written but failed its integrity check: {ok}")
    click.echo(f"Backed up {path} to {target_path} ({target_path.stat().st_size} bytes).")


@click.command("restore", help="Replace the SQLite database with the backup FILE.")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(source: str, yes: bool):
    path = _sqlite_path()
    if path is None:
        _fail("restore replaces SQLite databases. For PostgreSQL use pg_restore (see README).")
    check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        _fail(f"{source} is not a SQLite database: {exc}")
    finally:
        check.close()
    if ok != "ok" or "alembic_version" not in tables:
        _fail(f"{source} is not a growapp backup (integrity: {ok}).")
    if not yes:
        click.confirm(f"Replace {path} with {source}?", abort=True)
    db.database.engine.dispose()
    if path.exists():
        shutil.copy2(path, path.with_suffix(path.suffix + ".before-restore"))
    src = sqlite3.connect(source)
    dst = sqlite3.connect(path)
    try:
        with dst:
            src.backup(dst)  # page-by-page copy, also replaces WAL content safely
    finally:
        dst.close()
        src.close()
    click.echo(f"Restored {path} from {source}. Run `flask db upgrade` if the backup is older.")


audit_group = AppGroup("audit", help="The tamper-evident audit log.")


@audit_group.command("verify", help="Check the hash chain; exit 1 on a broken link.")
def audit_verify():
    with _session() as session:
        ok, checked, bad = verify_chain(session)
    if ok:
        click.echo(f"Audit chain intact: {checked} rows verified.")
    else:
        _fail(f"Audit chain broken at row {bad} (after {checked} good rows).")


@click.command("worker", help="Run background jobs from GROWAPP_REDIS_URL (RQ) and the "
                                "periodic tasks (dead jobs, expired files); without Redis, "
                                "only the periodic tasks.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (periodic: once).")
@with_appcontext
def worker_command(burst: bool):
    from .jobs.worker import run_worker

    run_worker(current_app.config, burst=burst)


def register_cli(app: Flask) -> None:
    from .mqtt.command import mqtt_command

    for command in (db_group, create_admin, create_token, seed_demo_command, seed_presets,
                    backup, restore, audit_group, worker_command, mqtt_command):
        app.cli.add_command(command)
