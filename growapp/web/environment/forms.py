from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...services.environment.units import QUANTITIES

QUANTITY_CHOICES = [(q.name, f"{q.label} ({q.unit})") for q in QUANTITIES.values()]
UNIT_CHOICES = [("", "as shown"), ("°F", "°F"), ("µS/cm", "µS/cm"), ("klx", "klx")]


class ReadingForm(FlaskForm):
    quantity = SelectField("Quantity", choices=QUANTITY_CHOICES)
    value = FloatField("Value", validators=[InputRequired("Enter the value.")])
    unit = SelectField("Unit", choices=UNIT_CHOICES, validators=[Optional()])
    idempotency_key = StringField(validators=[Optional(), Length(max=128)])


class RangeForm(FlaskForm):
    quantity = SelectField("Quantity", choices=QUANTITY_CHOICES, id="range-quantity")
    low = FloatField("Low", validators=[Optional()], id="range-low")
    high = FloatField("High", validators=[Optional()], id="range-high")
    for_minutes = IntegerField("Alert after (min)", default=15, id="range-for-minutes",
                               validators=[InputRequired(), NumberRange(0, 7 * 24 * 60)])


class SettingsForm(FlaskForm):
    lux_factor = FloatField("Lux → PPFD factor", validators=[Optional()], id="settings-lux-factor")
    stale_minutes = IntegerField("No reading alert after (min)", default=30,
                                 id="settings-stale-minutes",
                                 validators=[InputRequired("Enter the minutes (0 = never)."),
                                             NumberRange(0, 7 * 24 * 60)])


class MappingForm(FlaskForm):
    kind = SelectField("Device", choices=[("esphome", "ESPHome (one value per topic)"),
                                          ("tasmota", "Tasmota (tele/<device>/SENSOR)")],
                       id="mapping-kind")
    topic = StringField("Topic", validators=[InputRequired("Enter the device's topic."),
                                             Length(max=200)], id="mapping-topic")
    quantity = SelectField("Quantity (ESPHome)", choices=[("", "—")] + QUANTITY_CHOICES,
                           validators=[Optional()], id="mapping-quantity")
    unit = StringField("Unit (ESPHome, if not the canonical one)",
                       validators=[Optional(), Length(max=16)], id="mapping-unit")
