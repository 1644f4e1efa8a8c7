from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...services.experiments import (
    DESCRIPTION_MAX,
    FEEDING_WINDOW_DAYS,
    NAME_MAX,
    SHORT_NAME_MAX,
)


class ExperimentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])
    short_name = StringField("Short name (printed on labels)",
                             validators=[Optional(), Length(max=SHORT_NAME_MAX)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    feeding_window_days = IntegerField(
        "Feeding window (days)", default=7,
        validators=[Optional(), NumberRange(*FEEDING_WINDOW_DAYS)])


class DuplicateForm(FlaskForm):
    name = StringField("Name of the copy", validators=[Optional(), Length(max=NAME_MAX)])
    include_plants = BooleanField("Copy the plants too (codes, species, cultivars)")
