"""growapp: plant-trial tracking for grow tents and greenhouses."""

from __future__ import annotations

from flask import Flask

from .config import ROOT, build_settings


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from the environment."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(build_settings(config))
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:  # behind N reverse proxies: their X-Forwarded-For/-Proto, nothing else
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0,
                                x_prefix=0)

    from .http import compression, static_assets

    compression.init_app(app)  # first registered, so its after_request runs last
    static_assets.init_app(app)

    from .extensions import Database, csrf, login_manager
    from .jobs import fail_lost_job, queue_from_settings
    from .services.audit import install_audit_hook
    from .storage import storage_from_settings

    database = Database(app)
    app.extensions["growapp_storage"] = storage_from_settings(app.config)
    app.extensions["growapp_jobs"] = queue_from_settings(
        app.config, on_lost=lambda job_id, reason: fail_lost_job(database.session_factory,
                                                                 job_id, reason))
    install_audit_hook(key=app.config["AUDIT_KEY"])
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import logging_setup
    from .http import csrf_mask, errors, gate
    from .web import templating

    logging_setup.init_app(app)
    gate.init_app(app)
    csrf_mask.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

    from .api import bp as api_bp
    from .web.admin import bp as admin_bp
    from .web.auth import bp as auth_bp
    from .web.baseline import bp as baseline_bp
    from .web.environment import bp as environment_bp
    from .web.experiments import bp as experiments_bp
    from .web.floor import bp as floor_bp
    from .web.health import bp as health_bp
    from .web.labels import bp as labels_bp
    from .web.offline import bp as offline_bp
    from .web.photos import bp as photos_bp
    from .web.placement import bp as placement_bp
    from .web.plants import bp as plants_bp
    from .web.profile import bp as profile_bp
    from .web.recipes import bp as recipes_bp
    from .web.reports import bp as reports_bp
    from .web.rounds import bp as rounds_bp
    from .web.scan import bp as scan_bp
    from .web.schedule import bp as schedule_bp
    from .web.tents import bp as tents_bp
    from .web.trays import bp as trays_bp

    for bp in (auth_bp, experiments_bp, plants_bp, tents_bp, recipes_bp, trays_bp, baseline_bp,
               placement_bp, floor_bp, rounds_bp, schedule_bp, photos_bp, reports_bp, labels_bp,
               admin_bp, profile_bp, health_bp, scan_bp, offline_bp, environment_bp, api_bp):
        app.register_blueprint(bp)

    from .cli import register_cli

    register_cli(app)
    return app
