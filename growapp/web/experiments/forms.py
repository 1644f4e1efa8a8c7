from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ExperimentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    short_name = StringField("Short name (printed on labels)",
                             validators=[Optional(), Length(max=24)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    feeding_window_days = IntegerField(
        "Feeding window (days)", default=7, validators=[Optional(), NumberRange(1, 60)])
