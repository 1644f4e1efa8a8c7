"""Subscribe to the tents' topics and store what sensors publish.

One MQTT v5 *shared* subscription (``$share/<group>/…``) per topic filter: the broker
hands each message to one member of the group, so two servers running the subscriber do
not both store it. The readings' unique key (tent, sensor, quantity, time) with ON CONFLICT
DO NOTHING is the backstop for a message delivered again (QoS 1 after a reconnect).

paho's network thread only queues messages; the main loop stores them every
``flush_seconds`` in one transaction per tent (one audited ``reading_batches`` row each).
paho reconnects by itself (1 s, backing off to 30 s) and every (re)connect subscribes
again."""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..extensions import sqlite_write_intent
from ..models import SensorMapping, Tent
from ..services.environment import topics
from ..services.environment.mappings import mappings_version
from ..services.environment.readings import ingest_readings
from ..services.errors import DomainError, Invalid

log = logging.getLogger(__name__)
REFRESH_SECONDS = 30.0  # how often tents and device mappings are read again
VERSION_SECONDS = 1.0  # how often a changed mapping is looked for (one cheap statement)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> Broker:
    """``mqtt://[user:password@]host[:port]`` or ``mqtts://…``. Raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError("GROWAPP_MQTT_URL must look like mqtt://host:1883 or "
                         "mqtts://user:password@host:8883")
    tls = parts.scheme == "mqtts"
    return Broker(parts.hostname, parts.port or (8883 if tls else 1883), tls,
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None)


class Subscriber:
    def __init__(self, session_factory: sessionmaker[Session], *, url: str,
                 prefix: str = "growapp", group: str = "growapp", flush_seconds: float = 1.0,
                 client_id: str | None = None) -> None:
        self.factory = session_factory
        self.broker = parse_url(url)
        self.prefix = prefix.strip("/")
        self.group = group
        self.flush_seconds = flush_seconds
        self.inbox: queue.Queue[tuple[str, bytes, datetime]] = queue.Queue()
        self.stored = 0
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._tents: dict[tuple[int, str], int] = {}
        self._mappings: dict[str, SensorMapping] = {}
        self._subscribed: set[str] = set()
        self._refreshed = 0.0
        self._version: tuple | None = None
        self._version_checked = 0.0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"growapp-{uuid.uuid4().hex[:10]}",
                                  protocol=mqtt.MQTTv5)
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- topics ---------------------------------------------------------------------------
    def filters(self) -> list[str]:
        return [f"{self.prefix}/+/+", *sorted(self._mappings)]

    def _share(self, topic: str) -> str:
        return f"$share/{self.group}/{topic}"

    def _subscribe(self, topics_: list[str]) -> None:
        new = [t for t in topics_ if t not in self._subscribed]
        if new:
            self.client.subscribe([(self._share(t), SubscribeOptions(qos=1)) for t in new])
            self._subscribed.update(new)
        gone = sorted(self._subscribed - set(topics_))
        if gone:  # a mapping removed: its device's messages are no tent's any more
            self.client.unsubscribe([self._share(t) for t in gone])
            self._subscribed.difference_update(gone)

    def refresh(self) -> None:
        """Read tents and device mappings again; subscribe to newly mapped topics."""
        with self.factory() as session:
            self._version = mappings_version(session)
            self._tents = {(e, c): i for i, e, c in session.execute(
                select(Tent.id, Tent.experiment_id, Tent.code))}
            mappings = session.scalars(select(SensorMapping)).all()
            session.expunge_all()
        self._mappings = {m.topic: m for m in mappings}
        self._refreshed = time.monotonic()
        if self.connected.is_set():
            self._subscribe(self.filters())

    # -- paho callbacks (network thread) --------------------------------------------------
    def _on_connect(self, client, _userdata, _flags, reason_code, _properties=None):
        if reason_code.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason_code)
            return
        self._subscribed.clear()  # a new session: subscribe again
        self._subscribe(self.filters())
        self.connected.set()
        log.info("MQTT connected to %s:%s", self.broker.host, self.broker.port)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties=None):
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", reason_code)

    def _on_message(self, _client, _userdata, message):
        self.inbox.put((message.topic, message.payload, datetime.now(UTC).replace(microsecond=0)))

    # -- storing (main thread) ------------------------------------------------------------
    def items_for(self, topic: str, payload: bytes, arrived: datetime):
        """``(tent_id, [items])`` of one message, or None when it is not for a tent."""
        mapping = self._mappings.get(topic)
        if mapping is not None:
            if mapping.kind == "tasmota":
                items = topics.tasmota_items(payload)
                sensor = f"tasmota:{topic}"
                for i in items:
                    i["sensor"] = sensor
            else:
                items = topics.plain_items(mapping.quantity, payload, mapping.unit)
                for i in items:
                    i["sensor"] = f"esphome:{topic}"
            tent_id = mapping.tent_id
        else:
            parsed = topics.parse_tent_topic(topic, self.prefix)
            if parsed is None:
                return None
            exp_id, code, quantity = parsed
            tent_id = self._tents.get((exp_id, code))
            if tent_id is None:
                return None
            items = topics.plain_items(quantity, payload)
        for i in items:
            i["at"] = i.get("at") or arrived
        return tent_id, items

    def flush(self) -> int:
        """Store everything queued. Returns how many readings were stored."""
        if time.monotonic() - self._refreshed > REFRESH_SECONDS or self._mappings_changed():
            self.refresh()
        by_tent: dict[int, list[dict]] = defaultdict(list)
        unknown = False
        while True:
            try:
                topic, payload, arrived = self.inbox.get_nowait()
            except queue.Empty:
                break
            try:
                found = self.items_for(topic, payload, arrived)
            except ValueError as exc:
                log.warning("MQTT %s: %s", topic, exc)
                continue
            if found is None:
                unknown = True
                log.debug("MQTT %s: no tent has this topic", topic)
                continue
            by_tent[found[0]].extend(found[1])
        if unknown and time.monotonic() - self._refreshed > 2:
            self.refresh()  # a tent created since the last refresh
        stored = 0
        for tent_id, items in by_tent.items():
            for start in range(0, len(items), 1000):
                stored += self._store(tent_id, items[start:start + 1000])
        self.stored += stored
        return stored

    def _mappings_changed(self) -> bool:
        """A mapping added, removed or edited since the last refresh (checked every
        VERSION_SECONDS), so a new device topic is subscribed without a restart."""
        if time.monotonic() - self._version_checked < VERSION_SECONDS:
            return False
        self._version_checked = time.monotonic()
        with self.factory() as session:
            return mappings_version(session) != self._version

    def _store(self, tent_id: int, items: list[dict]) -> int:
        for _attempt in range(2):
            token = sqlite_write_intent.set(True)
            try:
                with self.factory() as session:
                    session.info["request_id"] = "mqtt"
                    result = ingest_readings(session, tent_id=tent_id, items=items,
                                             source="mqtt", actor=None)
                    session.commit()
                    return len(result.stored)
            except Invalid as exc:  # drop the bad readings, keep the good ones
                bad = {int(k.split(".")[0]) for k in exc.errors if k.split(".")[0].isdigit()}
                log.warning("MQTT readings for tent %s refused: %s", tent_id, exc.errors)
                items = [i for n, i in enumerate(items) if n not in bad]
                if not items or not bad:
                    return 0
            except DomainError as exc:
                log.warning("MQTT readings for tent %s refused: %s", tent_id, exc.detail)
                return 0
            finally:
                sqlite_write_intent.reset(token)
        return 0

    # -- running --------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30,
                                  clean_start=True, properties=Properties(
                                      mqtt.PacketTypes.CONNECT))
        self.client.loop_start()

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()
        self.flush()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.is_set():
                time.sleep(self.flush_seconds)
                self.flush()
        finally:
            self.stop()
