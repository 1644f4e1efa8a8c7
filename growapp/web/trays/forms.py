from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class TrayForm(FlaskForm):
    code = StringField("Code", validators=[Optional(), Length(max=24)])
    capacity = IntegerField("Capacity", default=6,
                            validators=[DataRequired(), NumberRange(1, 500)])
    slot_id = SelectField("Slot", validate_choice=False)
    recipe_id = SelectField("Recipe", validate_choice=False)


class TrayEditForm(FlaskForm):
    capacity = IntegerField("Capacity", validators=[DataRequired(), NumberRange(1, 500)])
    slot_id = SelectField("Slot", validate_choice=False)
    recipe_id = SelectField("Recipe", validate_choice=False)
