"""Device topics mapped to a tent: Tasmota ``tele/<device>/SENSOR`` (several quantities in
one JSON message) and ESPHome ``<node>/sensor/<name>/state`` (one number; the mapping says
which quantity and unit). A topic belongs to one tent. ORM rows, so every change is in
the audit log; each also writes an activity event. The MQTT subscriber notices a change
within a second (``mappings_version``) and subscribes or unsubscribes."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import SensorMapping, Tent, User
from ..errors import Conflict, Invalid, NotFound
from ..events import record_event
from .readings import get_tent
from .units import QUANTITIES, to_canonical

KINDS = ("tasmota", "esphome")
TOPIC_MAX = 200
TASMOTA = re.compile(r"^tele/[^/+#]+/SENSOR$")
ESPHOME = re.compile(r"^[^/+#]+/sensor/[^/+#]+/state$")


def list_mappings(session: Session, *, tent_id: int) -> list[SensorMapping]:
    return list(session.scalars(select(SensorMapping).where(SensorMapping.tent_id == tent_id)
                                .order_by(SensorMapping.topic)))


def _check(kind: str, topic: str, quantity: str | None, unit: str | None,
           prefix: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = ["Choose tasmota or esphome."]
        return errors
    if not topic:
        errors["topic"] = ["Enter the device's topic."]
    elif len(topic) > TOPIC_MAX:
        errors["topic"] = [f"Use at most {TOPIC_MAX} characters."]
    elif topic.split("/")[0] == prefix or topic.startswith("$"):
        errors["topic"] = [f"Topics under {prefix}/ are the tents' own; map a device's "
                           "topic instead."]
    elif kind == "tasmota" and not TASMOTA.match(topic):
        errors["topic"] = ["A Tasmota topic looks like tele/<device>/SENSOR."]
    elif kind == "esphome" and not ESPHOME.match(topic):
        errors["topic"] = ["An ESPHome topic looks like <node>/sensor/<name>/state."]
    if kind == "esphome":
        if quantity not in QUANTITIES:
            errors["quantity"] = [f"Choose the quantity: {', '.join(QUANTITIES)}."]
        elif unit:
            try:
                to_canonical(quantity, QUANTITIES[quantity].low, unit)
            except ValueError as exc:
                errors["unit"] = [str(exc)]
    elif quantity or unit:
        errors["quantity"] = ["A Tasmota message names its quantities; leave quantity and "
                              "unit empty."]
    return errors


def add_mapping(session: Session, *, tent_id: int, kind: str, topic: str,
                quantity: str | None = None, unit: str | None = None, actor: User,
                prefix: str = "growapp") -> SensorMapping:
    """Map a device topic to the tent. Raises NotFound, Invalid, Conflict (the topic is
    already mapped, here or to another tent)."""
    tent = get_tent(session, tent_id)
    topic = (topic or "").strip()
    quantity, unit = (quantity or None), ((unit or "").strip() or None)
    errors = _check(kind, topic, quantity, unit, prefix)
    if errors:
        raise Invalid(errors=errors)
    taken = session.execute(select(SensorMapping.tent_id, Tent.code, Tent.experiment_id)
                            .join(Tent, Tent.id == SensorMapping.tent_id)
                            .where(SensorMapping.topic == topic)).first()
    if taken:
        where = "this tent" if taken.tent_id == tent.id else f"tent {taken.code}" + (
            "" if taken.experiment_id == tent.experiment_id else " of another experiment")
        raise Conflict(f"The topic {topic} is already mapped to {where}.",
                       {"topic": topic, "tent_id": taken.tent_id})
    mapping = SensorMapping(tent_id=tent.id, kind=kind, topic=topic,
                            quantity=quantity if kind == "esphome" else None,
                            unit=unit if kind == "esphome" else None)
    session.add(mapping)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # mapped by someone else a moment ago
        raise Conflict(f"The topic {topic} is already mapped to a tent.",
                       {"topic": topic}) from exc
    record_event(session, kind="environment.mapping", actor=actor,
                 experiment_id=tent.experiment_id,
                 summary=f"{tent.code}: {kind} topic {topic} mapped"
                 + (f" ({QUANTITIES[quantity].label.lower()})" if kind == "esphome" else ""),
                 payload={"tent_id": tent.id, "mapping_id": mapping.id, "kind": kind,
                          "topic": topic, "quantity": mapping.quantity, "unit": mapping.unit})
    session.flush()
    return mapping


def remove_mapping(session: Session, *, tent_id: int, mapping_id: int, actor: User) -> None:
    """Raises NotFound."""
    tent = get_tent(session, tent_id)
    mapping = session.get(SensorMapping, mapping_id)
    if mapping is None or mapping.tent_id != tent.id:
        raise NotFound(f"No mapping {mapping_id} on tent {tent.code}.")
    session.delete(mapping)
    record_event(session, kind="environment.mapping", actor=actor,
                 experiment_id=tent.experiment_id,
                 summary=f"{tent.code}: topic {mapping.topic} no longer mapped",
                 payload={"tent_id": tent.id, "mapping_id": mapping_id, "removed": True,
                          "topic": mapping.topic})
    session.flush()


def mappings_version(session: Session) -> tuple:
    """Changes whenever a mapping is added, removed or edited (one cheap statement)."""
    return tuple(session.execute(select(func.count(SensorMapping.id), func.max(SensorMapping.id),
                                        func.max(SensorMapping.updated_at))).one())
