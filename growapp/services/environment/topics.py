"""MQTT topics and payloads: which tent a message is for and which readings it holds.

- ``<prefix>/<experiment id>-<tent code>/<quantity>``: a plain number, or JSON
  ``{"value": 24.1, "unit": "°F", "at": "…+01:00"}``.
- A mapped Tasmota topic (``tele/<device>/SENSOR``): JSON with one object per sensor,
  ``{"Time": "…", "AM2301": {"Temperature": 24.1, "Humidity": 55}, "TempUnit": "C"}``.
- A mapped ESPHome topic (``<node>/sensor/<name>/state``): a plain number; the mapping
  names the quantity and unit.

Tasmota's ``Time`` has no offset (the device's local clock), so those readings take the
time the message arrived, to the second."""

from __future__ import annotations

import json
import math

from ...models import Tent
from .units import QUANTITIES

TASMOTA_FIELDS = {"temperature": "temperature", "humidity": "humidity",
                  "carbondioxide": "co2", "co2": "co2", "eco2": "co2",
                  "illuminance": "lux", "ph": "ph", "ec": "ec", "ppfd": "ppfd"}


def tent_topic(tent: Tent, prefix: str = "growapp") -> str:
    return f"{prefix}/{tent.experiment_id}-{tent.code}"


def parse_tent_topic(topic: str, prefix: str = "growapp") -> tuple[int, str, str] | None:
    """``(experiment_id, tent_code, quantity)`` of ``<prefix>/<id>-<code>/<quantity>``."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != prefix or parts[2] not in QUANTITIES:
        return None
    exp, _, code = parts[1].partition("-")
    if not exp.isdigit() or not code:
        return None
    return int(exp), code, parts[2]


def _number(text: str):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def plain_items(quantity: str, payload: bytes, unit: str | None = None) -> list[dict]:
    """One reading from a number or a JSON object on a quantity's topic. Raises ValueError."""
    text = payload.decode("utf-8", "replace").strip()
    value = _number(text)
    if value is not None:
        return [{"quantity": quantity, "value": value, "unit": unit}]
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not a number or JSON: {text[:40]!r}") from exc
    if not isinstance(data, dict) or "value" not in data:
        raise ValueError("JSON readings need a \"value\"")
    return [{"quantity": quantity, "value": data["value"], "unit": data.get("unit", unit),
             "at": data.get("at")}]


def tasmota_items(payload: bytes) -> list[dict]:
    """Every known quantity in a Tasmota SENSOR message. Raises ValueError."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise ValueError("Tasmota SENSOR payload is not JSON") from exc
    if not isinstance(data, dict):
        raise ValueError("Tasmota SENSOR payload is not an object")
    temp_unit = data.get("TempUnit", "C")
    items = []
    for sensor, values in data.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            quantity = TASMOTA_FIELDS.get(key.lower())
            if quantity and isinstance(value, int | float):
                items.append({"quantity": quantity, "value": value,
                              "unit": temp_unit if quantity == "temperature" else None,
                              "sensor": f"tasmota:{sensor}"})
    return items
