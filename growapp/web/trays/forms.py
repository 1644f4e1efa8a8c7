from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...services.trays import MAX_BULK_TRAYS, MAX_CAPACITY, TRAY_CODE_MAX


class TrayForm(FlaskForm):
    code = StringField("Code", validators=[Optional(), Length(max=TRAY_CODE_MAX)])
    capacity = IntegerField("Capacity", default=6,
                            validators=[DataRequired(), NumberRange(1, MAX_CAPACITY)])
    slot_id = SelectField("Slot", validate_choice=False)
    recipe_id = SelectField("Recipe", validate_choice=False)


class TrayEditForm(FlaskForm):
    capacity = IntegerField("Capacity", validators=[DataRequired(), NumberRange(1, MAX_CAPACITY)])
    slot_id = SelectField("Slot", validate_choice=False)
    recipe_id = SelectField("Recipe", validate_choice=False)


class BulkTrayForm(FlaskForm):
    count = IntegerField("How many trays", default=4,
                         validators=[DataRequired(), NumberRange(1, MAX_BULK_TRAYS)])
    capacity = IntegerField("Plants per tray", default=6,
                            validators=[DataRequired(), NumberRange(1, MAX_CAPACITY)])
    recipe_id = SelectField("Recipe", validate_choice=False)
