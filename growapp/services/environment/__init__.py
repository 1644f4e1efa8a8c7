"""A tent's environment (issue 14): units, readings and roll-ups, ranges and alerts,
and the MQTT message formats."""
