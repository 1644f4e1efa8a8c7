"""Flask commands: db, create-admin, create-token, seed-demo, backup, restore, audit."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import make_url

from . import migrations_runner
from .extensions import db
from .services import audit as audit_service
from .services import audit_checkpoints as checkpoints_service
from .services import users as user_service
from .services.audit import walk_chain
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


@click.command("backup", help="Write one archive FILE with the database (SQLite online "
                                "backup, or pg_dump for PostgreSQL) and every uploaded file.")
@with_appcontext
@click.argument("target", type=click.Path(dir_okay=False))
def backup(target: str):
    from .backups import BackupError, write_archive
    from .extensions import file_storage

    try:
        manifest = write_archive(target, database_url=current_app.config["DATABASE_URL"],
                                 storage=file_storage())
    except BackupError as exc:
        _fail(str(exc))
    rows = sum(manifest.tables.values())
    click.echo(f"Backed up the {manifest.engine} database ({len(manifest.tables)} tables, "
               f"{rows} rows) and {manifest.files} files to {target} "
               f"({Path(target).stat().st_size} bytes).")


def _safety_dir() -> Path:
    from .config import INSTANCE_DIR

    path = _sqlite_path()
    return path.parent if path else INSTANCE_DIR


@click.command("restore", help="Restore the database and the uploaded files from the backup "
                                 "archive FILE, after a safety archive of what is there now.")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--replace", is_flag=True,
              help="PostgreSQL: replace a database that is not empty.")
@click.option("--safety-dir", type=click.Path(file_okay=False),
              help="Where the safety archive goes (default: next to the SQLite database, "
                   "else the instance folder).")
def restore(source: str, yes: bool, replace: bool, safety_dir: str | None):
    from .backups import BackupError, read_manifest, restore_archive, table_counts
    from .extensions import file_storage

    url = current_app.config["DATABASE_URL"]
    try:
        manifest = read_manifest(source)
    except BackupError as exc:
        _fail(str(exc))
    if not yes:
        click.confirm(f"Replace the configured database and add the {manifest.files} files "
                      f"of the backup from {manifest.created_at}?", abort=True)
    db.database.engine.dispose()  # no pooled connection holds the old database
    try:
        manifest, safety = restore_archive(
            source, database_url=url, storage=file_storage(), replace=replace,
            safety_dir=Path(safety_dir) if safety_dir else _safety_dir())
    except BackupError as exc:
        _fail(str(exc))
    if safety:
        click.echo(f"Safety archive of the previous state: {safety}")
    counts = table_counts(url)
    wrong = {t: (n, counts.get(t)) for t, n in manifest.tables.items() if counts.get(t) != n}
    if wrong:
        _fail(f"restored, but these tables do not hold the backup's row counts: {wrong}")
    click.echo(f"Restored {sum(counts.values())} rows in {len(counts)} tables and "
               f"{manifest.files} files from {source}. Run `flask db upgrade` if the backup "
               "is older than this version of growapp.")


audit_group = AppGroup("audit", help="The tamper-evident audit log.")


def _checkpoint_file() -> Path:
    configured = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else \
        Path(current_app.instance_path) / "audit-checkpoints.jsonl"


@audit_group.command("verify", help="Check the hash chain and the signed checkpoints (the "
                                    "instance folder's file and any --checkpoint given); "
                                    "exit 1 on a broken link, a cut tail, an emptied table "
                                    "or a rewrite.")
@click.option("--checkpoint", "extra", multiple=True,
              help="A checkpoint line kept elsewhere (as printed by `audit checkpoint`).")
def audit_verify(extra: tuple[str, ...]):
    key, previous = _audit_keys()
    with _session() as session:
        report = walk_chain(session, key=key, previous=previous)
        try:
            checkpoints = checkpoints_service.load(_checkpoint_file())
            checkpoints += [checkpoints_service.parse(text) for text in extra]
        except DomainError as exc:
            _fail(exc.detail)
        problems = [p for p in (checkpoints_service.check(session, cp, key=key,
                                                          previous=previous)
                                for cp in checkpoints) if p]
    if not report.ok:
        problems.insert(0, f"Audit chain broken at row {report.bad_id} (after {report.checked} "
                           f"good rows): {report.problem}.")
    if problems:
        for problem in problems:
            click.echo(f"Error: {problem}", err=True)
        sys.exit(1)
    versions = ", ".join(f"{n} as version {v}" for v, n in sorted(report.versions.items()))
    by_key = ", ".join(f"{n} with key {kid}" for kid, n in (report.keys or {}).items())
    click.echo(f"Audit chain intact: {report.checked} rows verified"
               f"{f' ({versions}; {by_key})' if versions else ''}; {len(checkpoints)} "
               "checkpoint(s) reached.")
    if not checkpoints:
        click.echo("No checkpoint yet: without one, deleting the newest rows goes unnoticed. "
                   "Run `flask audit checkpoint` and keep its output.")


@audit_group.command("checkpoint", help="Verify the chain, then sign its head (id, hash, "
                                        "row count) with GROWAPP_AUDIT_KEY; append it to "
                                        "the instance folder and print it to keep elsewhere.")
def audit_checkpoint():
    cp, path = _write_checkpoint()
    click.echo(checkpoints_service.dumps(cp))
    click.echo(f"Checkpoint of {cp['count']} rows (head row {cp['head_id']}) appended to {path}. "
               "Keep the line above somewhere the database's admins cannot write.", err=True)


def _audit_keys() -> tuple[str | None, tuple[str, ...]]:
    cfg = current_app.config
    return cfg.get("AUDIT_KEY"), tuple(cfg.get("AUDIT_KEY_PREVIOUS") or ())


def _write_checkpoint() -> tuple[dict, Path]:
    key, previous = _audit_keys()
    with _session() as session:
        try:
            cp = checkpoints_service.make_checkpoint(session, key=key, previous=previous)
        except DomainError as exc:
            _fail(exc.detail)
    path = _checkpoint_file()
    checkpoints_service.append(path, cp)
    return cp, path


@audit_group.command("rotate-key", help="Verify the chain and checkpoint its head with the "
                                        "current key, then print a new GROWAPP_AUDIT_KEY and "
                                        "the GROWAPP_AUDIT_KEY_PREVIOUS to set with it.")
def audit_rotate_key():
    key, previous = _audit_keys()
    cp, path = _write_checkpoint()
    new_key = secrets.token_hex(32)
    click.echo(checkpoints_service.dumps(cp))
    click.echo(f"GROWAPP_AUDIT_KEY={new_key}")
    click.echo(f"GROWAPP_AUDIT_KEY_PREVIOUS={','.join((*previous, key))}")
    click.echo(
        f"Checkpoint of {cp['count']} rows signed with the current key (id {cp['kid']}) and "
        f"appended to {path}; keep it elsewhere too. Set the two variables above on every "
        "app server and worker and restart them: new audit rows then use the new key (id "
        f"{audit_service.key_id(new_key)}), and `audit verify` checks older rows and "
        "checkpoints with the previous keys. Keep every previous key for as long as the "
        "audit log is kept.", err=True)


@click.command("worker", help="Run background jobs from GROWAPP_REDIS_URL (RQ) and the "
                                "periodic tasks (dead jobs, expired files); without Redis, "
                                "only the periodic tasks.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (periodic: once).")
@with_appcontext
def worker_command(burst: bool):
    from .jobs.worker import run_worker

    run_worker(current_app.config, burst=burst)


@click.command("prune-files", help="Expire the files of finished jobs older than "
                                     "JOB_FILE_TTL_HOURS, then delete stored files that no "
                                     "row names (leftovers of killed processes) older than "
                                     "an hour. For cron when `flask worker` does not run.")
@click.option("--dry-run", is_flag=True, help="Only list them.")
@click.option("--min-age-hours", type=float, default=1.0, show_default=True)
@with_appcontext
def prune_files_command(dry_run: bool, min_age_hours: float):
    from datetime import timedelta

    from .extensions import file_storage
    from .jobs.periodic import expire_job_files
    from .services.stored_files import prune_files

    with _session() as session:
        expired = 0
        if not dry_run:
            expired = expire_job_files(session, settings=current_app.config,
                                       storage=file_storage())
            session.commit()
        keys = prune_files(session, storage=file_storage(), dry_run=dry_run,
                           min_age=timedelta(hours=max(min_age_hours, 0)))
    if expired:
        click.echo(f"{expired} finished job file{'s' if expired != 1 else ''} expired.")
    for key in keys:
        click.echo(key)
    verb = "would be deleted" if dry_run else "deleted"
    click.echo(f"{len(keys)} unreferenced file{'s' if len(keys) != 1 else ''} {verb}.")


def register_cli(app: Flask) -> None:
    from .mqtt.command import mqtt_command

    for command in (db_group, create_admin, create_token, seed_demo_command, seed_presets,
                    backup, restore, audit_group, worker_command, prune_files_command,
                    mqtt_command):
        app.cli.add_command(command)
