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
    quantity = SelectField("Quantity", choices=QUANTITY_CHOICES)
    low = FloatField("Low", validators=[Optional()])
    high = FloatField("High", validators=[Optional()])
    for_minutes = IntegerField("Alert after (min)", default=15,
                               validators=[InputRequired(), NumberRange(0, 7 * 24 * 60)])
