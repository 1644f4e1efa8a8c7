from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...services.tents import MAX_PER_SHELF, MAX_SHELVES, TENT_CODE_MAX


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LayoutFields:
    shelves = IntegerField("Shelves", default=2,
                           validators=[Optional(), NumberRange(1, MAX_SHELVES)])
    positions = IntegerField("Trays per shelf", default=2,
                             validators=[Optional(), NumberRange(1, MAX_PER_SHELF)])
    shelf_layout = StringField("Or trays per shelf, e.g. 4,4,3",
                               validators=[Optional(), Length(max=200)])


class TentForm(LayoutFields, FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    code = StringField("Code", validators=[Optional(), Length(max=TENT_CODE_MAX)])
    allowed_species = CheckboxesField("Allowed species (none ticked = any)", coerce=int,
                                      validate_choice=False)


class RegenerateForm(LayoutFields, FlaskForm):
    pass


class RestrictionForm(FlaskForm):
    allowed_species = CheckboxesField("Allowed species (none ticked = any)", coerce=int,
                                      validate_choice=False)
