"""``flask --app growapp mqtt``: run the subscriber until interrupted."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from ..jobs.runner import session_factory_for


@click.command("mqtt", help="Store sensor readings published to GROWAPP_MQTT_URL "
                            "(default mqtt://127.0.0.1:1883) under each tent's mqtt_topic "
                            "and mapped Tasmota/ESPHome topics.")
@click.option("--group", default="growapp", show_default=True,
              help="Shared-subscription group: servers in one group share the messages.")
@click.option("--flush-seconds", default=1.0, show_default=True, type=float)
@with_appcontext
def mqtt_command(group: str, flush_seconds: float):
    from .subscriber import Subscriber

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = current_app.config
    try:
        subscriber = Subscriber(session_factory_for(config["DATABASE_URL"]),
                                url=config["MQTT_URL"], prefix=config["MQTT_TOPIC_PREFIX"],
                                group=group, flush_seconds=flush_seconds)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Subscribing at {subscriber.broker.host}:{subscriber.broker.port} "
               f"(topics {', '.join(subscriber.filters())}); Ctrl-C stops.")
    try:
        subscriber.run_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
