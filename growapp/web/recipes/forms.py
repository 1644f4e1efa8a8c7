from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...services.recipes import COLOURS, RECIPE_CODE_MAX

COLOUR_CHOICES = [(c, c.title()) for c in COLOURS]


class RecipeForm(FlaskForm):
    code = StringField("Code", validators=[Optional(), Length(max=RECIPE_CODE_MAX)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    product = StringField("Product", validators=[Optional(), Length(max=120)])
    concentration = DecimalField("Concentration", places=None,
                                 validators=[Optional(), NumberRange(0, 1_000_000)])
    unit = StringField("Unit", validators=[Optional(), Length(max=24)])
    volume_ml = DecimalField("Volume per feed (ml)", places=None,
                             validators=[Optional(), NumberRange(0, 100_000)])
    colour = SelectField("Colour on maps", choices=COLOUR_CHOICES, validate_choice=False)
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class LotForm(FlaskForm):
    recipe_id = SelectField("Recipe", coerce=int, validate_choice=False)
    volume_ml = DecimalField("Volume (ml)", places=None, validators=[Optional()])
    ec = DecimalField("EC (mS/cm)", places=None, validators=[Optional()])
    ph = DecimalField("pH", places=None, validators=[Optional()])
    temperature_c = DecimalField("Temperature (°C)", places=None, validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
