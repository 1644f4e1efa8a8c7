"""The MQTT subscriber against the real Mosquitto on 127.0.0.1:1883: plain numbers and
JSON on <mqtt_topic>/<quantity>, Tasmota and ESPHome device topics, two subscribers that
store each message once, and a reconnect after the connection is cut."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from growapp.extensions import make_engine
from growapp.models import Experiment, Reading, SensorMapping, Tent
from growapp.mqtt.subscriber import Subscriber, parse_url
from tests.helpers.databases import fresh_database
from tests.helpers.tcp_proxy import TcpProxy

BROKER = ("127.0.0.1", 1883)
RUN = uuid.uuid4().hex[:8]  # topics of this run only


@pytest.fixture(scope="module")
def factory(app):  # app: the audit hook is installed
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError:
        pytest.fail("Mosquitto is not listening on 127.0.0.1:1883 (it runs in CI too)")
    url, drop = fresh_database("mqtt")
    engine = make_engine(url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()
    drop()


@pytest.fixture
def tent(factory):
    with factory() as s:
        exp = Experiment(name=f"MQTT {uuid.uuid4().hex[:6]}", status="running")
        s.add(exp)
        s.flush()
        tent = Tent(experiment_id=exp.id, code="TN1", name="Tent 1", layout={})
        s.add(tent)
        s.commit()
    yield tent
    with factory() as s:
        s.execute(delete(SensorMapping).where(SensorMapping.tent_id == tent.id))
        s.commit()


@pytest.fixture
def prefix():
    return f"growapp-test-{RUN}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def run(factory, prefix):
    started = []

    def _start(port: int = BROKER[1], group: str | None = None) -> Subscriber:
        sub = Subscriber(factory, url=f"mqtt://127.0.0.1:{port}", prefix=prefix,
                         group=group or f"g{uuid.uuid4().hex[:6]}", flush_seconds=0.1)
        thread = threading.Thread(target=sub.run_forever, daemon=True)
        thread.start()
        assert sub.connected.wait(10), "subscriber did not connect"
        time.sleep(0.3)  # SUBACK
        started.append((sub, thread))
        return sub

    yield _start
    for sub, thread in started:
        sub._stop.set()
        thread.join(5)


class CuttingProxy(TcpProxy):
    """TcpProxy whose refuse() also wakes the threads blocked in accept()/recv() (a
    close() alone leaves their sockets open on Linux, so an idle MQTT link survived)."""

    def refuse(self) -> None:
        with self._lock:
            socks = [s for pair in self._pairs for s in pair]
        for sock in [self._listener, *socks]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        # Wait for the accept thread to see its listener gone: pass_through() binds again
        # only once that thread has ended (under CI load it had not, and the subscriber's
        # reconnects were refused for good).
        self._accepting.join(5)
        super().refuse()


def publish(messages: list[tuple[str, str | bytes]]) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect(*BROKER)
    pub.loop_start()
    try:
        for topic, payload in messages:
            pub.publish(topic, payload, qos=1).wait_for_publish(5)
    finally:
        pub.disconnect()
        pub.loop_stop()


def readings(factory, tent, n: int, timeout: float = 10.0) -> list[Reading]:
    deadline = time.monotonic() + timeout
    while True:
        with factory() as s:
            rows = s.scalars(select(Reading).where(Reading.tent_id == tent.id)
                             .order_by(Reading.at, Reading.quantity)).all()
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_broker_url_forms():
    b = parse_url("mqtts://grow%40er:s3cr%2Ft@broker.example.org")
    assert (b.host, b.port, b.tls, b.username, b.password) == (
        "broker.example.org", 8883, True, "grow@er", "s3cr/t")
    assert parse_url("mqtt://127.0.0.1").port == 1883
    with pytest.raises(ValueError):
        parse_url("http://127.0.0.1")


def test_plain_numbers_and_json_on_the_tent_topic(factory, tent, prefix, run):
    run()
    topic = f"{prefix}/{tent.experiment_id}-{tent.code}"
    at = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
    publish([(f"{topic}/humidity", "61.5"),
             (f"{topic}/temperature", json.dumps({"value": 77, "unit": "°F",
                                                  "at": at.isoformat()})),
             (f"{topic}/humidity", "not a number"),  # logged, skipped
             (f"{topic}/ph", "15"),  # impossible: refused alone
             (f"{topic}/wind", "3")])  # not a quantity: ignored
    rows = readings(factory, tent, 2)
    assert [(r.quantity, round(r.value, 2), r.source) for r in rows] == [
        ("temperature", 25.0, "mqtt"), ("humidity", 61.5, "mqtt")]
    assert rows[0].at == at


def test_tasmota_and_esphome_device_topics(factory, tent, prefix, run):
    device = f"tele/{prefix}-tasmota/SENSOR"
    esphome = f"{prefix}-node/sensor/co2/state"
    with factory() as s:
        s.add_all([SensorMapping(tent_id=tent.id, kind="tasmota", topic=device),
                   SensorMapping(tent_id=tent.id, kind="esphome", topic=esphome,
                                 quantity="co2", unit="ppm")])
        s.commit()
    run()
    publish([(device, json.dumps({"Time": "2026-12-01T10:00:00",
                                  "AM2301": {"Temperature": 75.2, "Humidity": 48.0,
                                             "DewPoint": 12.1},
                                  "TempUnit": "F"})),
             (esphome, "812")])
    rows = readings(factory, tent, 3)
    got = {r.quantity: (round(r.value, 1), r.sensor) for r in rows}
    assert got == {"temperature": (24.0, f"tasmota:{device}"),
                   "humidity": (48.0, f"tasmota:{device}"),
                   "co2": (812.0, f"esphome:{esphome}")}


def test_a_mapping_added_or_removed_while_running_is_picked_up(factory, tent, prefix, run):
    """No restart: the subscriber sees the changed mappings within about a second (the
    30 s full refresh is not what makes this pass: it ran at start-up)."""
    from growapp.models import User
    from growapp.services.environment.mappings import add_mapping, remove_mapping

    sub = run()
    device = f"{prefix}-live/sensor/leaf/state"
    with factory() as s:
        admin = User(email=f"mapper-{uuid.uuid4().hex[:6]}@example.com", display_name="M",
                     password_hash="x", role="operator")
        s.add(admin)
        s.flush()
        mapping = add_mapping(s, tent_id=tent.id, kind="esphome", topic=device,
                              quantity="temperature", unit="°F", actor=admin)
        s.commit()
    deadline = time.monotonic() + 5
    while device not in sub._subscribed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert device in sub._subscribed, "new mapping not subscribed"
    time.sleep(0.3)  # SUBACK
    publish([(device, "77")])
    rows = readings(factory, tent, 1)
    assert [(r.quantity, round(r.value, 1), r.sensor) for r in rows] == [
        ("temperature", 25.0, f"esphome:{device}")]
    with factory() as s:
        remove_mapping(s, tent_id=tent.id, mapping_id=mapping.id, actor=s.get(User, admin.id))
        s.commit()
    deadline = time.monotonic() + 5
    while device in sub._subscribed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert device not in sub._subscribed, "removed mapping still subscribed"
    time.sleep(0.3)
    publish([(device, "80")])
    time.sleep(1.0)
    assert len(readings(factory, tent, 2, timeout=0.5)) == 1


def test_two_subscribers_store_each_message_once(factory, tent, prefix, run):
    group = f"pair-{uuid.uuid4().hex[:6]}"
    a, b = run(group=group), run(group=group)
    topic = f"{prefix}/{tent.experiment_id}-{tent.code}/temperature"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    messages = [(topic, json.dumps({"value": 20 + i / 10,
                                    "at": (start + timedelta(minutes=i)).isoformat()}))
                for i in range(20)]
    publish(messages + messages[:5])  # five delivered again: stored once
    rows = readings(factory, tent, 20)
    time.sleep(0.5)
    with factory() as s:
        count = s.scalar(select(func.count()).select_from(Reading)
                         .where(Reading.tent_id == tent.id))
    assert count == 20
    assert a.stored + b.stored == 20 and a.stored and b.stored  # the broker shared them
    assert len(rows) == 20


def test_reconnects_after_the_connection_is_cut(factory, tent, prefix, run):
    proxy = CuttingProxy(BROKER[1])
    try:
        sub = run(port=proxy.port)
        topic = f"{prefix}/{tent.experiment_id}-{tent.code}"
        publish([(f"{topic}/ec", "1.2")])
        assert len(readings(factory, tent, 1)) == 1
        proxy.refuse()  # the broker "goes away"
        deadline = time.monotonic() + 5
        while sub.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sub.connected.is_set()
        proxy.pass_through()
        assert sub.connected.wait(40), "no reconnect"
        time.sleep(0.5)
        publish([(f"{topic}/ph", "6.2")])
        assert {r.quantity for r in readings(factory, tent, 2)} == {"ec", "ph"}
    finally:
        proxy.close()
