"""Forms of the schedule page. They check shape only; the service owns every rule."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, Optional

from ...services.schedules.rules import (
    ACTION_LABELS,
    NOTES_MAX,
    RULE_KINDS,
    SCOPE_TYPES,
    TIMEFRAME_LABELS,
    TITLE_MAX,
    WEEKDAY_NAMES,
)

ACTION_CHOICES = list(ACTION_LABELS.items())
WEEKDAY_CHOICES = list(enumerate(WEEKDAY_NAMES))
TIMEFRAME_CHOICES = [*TIMEFRAME_LABELS.items(), ("exact", "Exact time")]
RULE_CHOICES = list(zip(RULE_KINDS, ("On chosen days", "Every N days"), strict=True))
SCOPE_CHOICES = list(zip(SCOPE_TYPES, ("Tents", "Trays", "Plants"), strict=True))


class ScheduleForm(FlaskForm):
    action_type = RadioField("What", choices=ACTION_CHOICES, default="feed",
                             validate_choice=False)
    title = StringField("Title", validators=[Optional(), Length(max=TITLE_MAX)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=NOTES_MAX)])
    rule_kind = RadioField("Repeat", choices=RULE_CHOICES, default="weekly",
                           validate_choice=False)
    weekdays = SelectMultipleField("Days", choices=WEEKDAY_CHOICES, coerce=int,
                                   validate_choice=False)
    every_days = IntegerField("Every how many days", validators=[Optional()])
    timeframe = RadioField("When in the day", choices=TIMEFRAME_CHOICES, default="morning",
                           validate_choice=False)
    exact_time = TimeField("Time", validators=[Optional()])
    start_date = DateField("From", validators=[Optional()])
    end_date = DateField("Until (optional)", validators=[Optional()])
    scope_type = RadioField("Where", choices=SCOPE_CHOICES, default="tray",
                            validate_choice=False)
    scope_tent_ids = SelectMultipleField("Tents", coerce=int, validate_choice=False)
    scope_tray_ids = SelectMultipleField("Trays", coerce=int, validate_choice=False)
    scope_plant_ids = SelectMultipleField("Plants", coerce=int, validate_choice=False)

